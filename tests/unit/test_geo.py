import pytest

from bot.core.geo import distance_to_polyline


def test_a_point_on_the_line_is_at_distance_zero() -> None:
    assert distance_to_polyline((39.9097, 116.3783), [(39.9097, 116.3760), (39.9097, 116.3806)]) < 0.5


def test_a_thousandth_of_a_degree_of_latitude_is_about_111_metres() -> None:
    d = distance_to_polyline((39.9107, 116.3783), [(39.9097, 116.3760), (39.9097, 116.3806)])
    assert d == pytest.approx(111.2, abs=1.0)


def test_beyond_the_end_the_distance_is_to_the_end_point() -> None:
    d = distance_to_polyline((39.9097, 116.3830), [(39.9097, 116.3760), (39.9097, 116.3806)])
    assert d == pytest.approx(0.0024 * 111_195 * 0.7671, rel=0.01)  # cos(39.91°) ≈ 0.7671
