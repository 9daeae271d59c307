"""Poll statistics cross-checked against scipy.stats on generated three-level answers."""

from __future__ import annotations

import random

import pytest
from scipy import stats

from bot.polls.stats import mean_ci95, pearson, t_critical


@pytest.mark.parametrize("seed, n", [(1, 5), (2, 30), (3, 611), (4, 2)])
def test_mean_and_ci_match_scipy(seed: int, n: int) -> None:
    rng = random.Random(seed)
    values = [rng.choice([1, 2, 3, 3]) for _ in range(n)]
    mean, ci = mean_ci95(values)
    assert mean == pytest.approx(sum(values) / n)
    if len(set(values)) > 1:
        lo, hi = stats.t.interval(0.95, n - 1, loc=mean, scale=stats.sem(values))
        assert ci == pytest.approx((lo, hi), abs=1e-9)


@pytest.mark.parametrize("seed, n, link", [(5, 611, 0.5), (6, 40, 0.0), (7, 12, -0.7), (8, 3, 0.9)])
def test_pearson_matches_scipy(seed: int, n: int, link: float) -> None:
    rng = random.Random(seed)
    xs = [rng.choice([1, 2, 3]) for _ in range(n)]
    # y follows x with probability |link| (inverted when negative), otherwise it is independent
    ys = [(x if link >= 0 else 4 - x) if rng.random() < abs(link) else rng.choice([1, 2, 3]) for x in xs]
    r, p = pearson(xs, ys)
    expected = stats.pearsonr(xs, ys)
    assert r == pytest.approx(expected.statistic, abs=1e-12)
    assert p == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_undefined_correlations_are_none() -> None:
    assert pearson([1, 2], [1, 2]) == (None, None)
    assert pearson([2, 2, 2], [1, 2, 3]) == (None, None)


@pytest.mark.parametrize("df", [1, 4, 29, 610])
def test_t_critical_matches_scipy(df: int) -> None:
    assert t_critical(df) == pytest.approx(stats.t.ppf(0.975, df), rel=1e-10)
