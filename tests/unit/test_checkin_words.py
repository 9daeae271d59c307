"""A steward's check-in sentence, read the way stewards type or dictate it."""

from __future__ import annotations

import pytest

from bot.stewards.checkin_words import CheckinWords, read_checkin


@pytest.mark.parametrize(("said", "read"), [
    ("巡了一个半小时 走访了三户 清了俩处小广告", CheckinWords(90, 3, 2)),
    ("今天转了两个钟头，访了十二家，劝走两辆车", CheckinWords(120, 12, 2)),
    ("巡查1.5小时", CheckinWords(90, None, None)),
    ("四十分钟 走访5户", CheckinWords(40, 5, None)),
    ("一小时二十分钟", CheckinWords(80, None, None)),
    ("半小时，捡了二十个烟头", CheckinWords(30, None, 20)),
    ("巡了一百零五分钟", CheckinWords(105, None, None)),
    ("今天没巡", CheckinWords(None, None, None)),
])
def test_sentences_are_read_into_minutes_visits_and_fixes(said: str, read: CheckinWords) -> None:
    assert read_checkin(said) == read
