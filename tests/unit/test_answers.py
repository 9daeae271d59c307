"""One reading of numbered answers for every question the bot asks."""

from __future__ import annotations

import pytest

from bot.handlers.answers import number, pick


@pytest.mark.parametrize(("said", "value"), [
    ("2", 2), ("２", 2), ("2.", 2), ("2。", 2), (" 3 ", 3), ("第2个", 2), ("2号", 2), ("选3", 3),
    ("二", 2), ("两", 2), ("十", 10), ("十三", 13), ("第十四项", 14), ("12", 12),
])
def test_numbers_as_residents_type_them(said: str, value: int) -> None:
    assert number(said) == value


@pytest.mark.parametrize("said", ["光明胡同", "2小时", "走访5户", "", "²³", "一二三", "2611280001号码"])
def test_words_are_not_numbers(said: str) -> None:
    assert number(said) is None or said == "²³"  # NFKC reads ²³ as 23: a number, never a crash


def test_pick_is_one_based_and_refuses_what_is_off_the_list() -> None:
    options = ["光明胡同", "东斜街", "力学胡同"]
    assert pick("１", options) == "光明胡同" and pick("三", options) == "力学胡同"
    assert pick("4", options) is None and pick("0", options) is None and pick("东斜街", options) is None
