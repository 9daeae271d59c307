"""config/parking.yml: every topic of DESIGN §5, answers that fit a chat bubble, errors that name the entry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.config import ConfigError, load_config
from bot.parking.knowledge import MAX_ANSWER, TOPIC_IDS, load_parking
from bot.parking.search import ParkingSearch

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "config")
OFFICES = set(CONFIG.street_offices)
DISTRICTS = frozenset(o.district for o in CONFIG.street_offices.values())


def test_answers_that_differ_by_district_come_from_that_districts_overrides() -> None:
    kb = load_parking(ROOT / "config" / "parking.yml", OFFICES, DISTRICTS)
    permit = kb.topic("resident_permit")
    assert permit is not None
    for office, spec in CONFIG.street_offices.items():
        answer = permit.answer_for(office).text
        others = DISTRICTS - {spec.district}
        assert not any(d in answer for d in others), (office, answer)  # never another district's rules
    assert not any(d in permit.answer.text for d in DISTRICTS)  # the generic text names no district


def test_a_generic_answer_naming_a_district_is_refused(tmp_path: Path) -> None:
    path = _broken(tmp_path, "收费标准各区不同", "东城区每月360元")
    with pytest.raises(ConfigError) as err:
        load_parking(path, OFFICES, DISTRICTS)
    assert "东城区" in str(err.value) and "overrides" in str(err.value)


def test_every_topic_is_there_with_sources_and_review_dates() -> None:
    kb = load_parking(ROOT / "config" / "parking.yml", OFFICES)
    assert [t.id for t in kb.topics] == list(TOPIC_IDS)
    for topic in kb.topics:
        for answer in (topic.answer, *topic.overrides.values()):
            assert answer.source and answer.reviewed.year >= 2026
            assert len(answer.text.replace("{office}", "体育馆路街道").replace("{phone}", "010-67142155")) <= MAX_ANSWER
            assert " " not in answer.text  # folded YAML lines are joined without spaces


def test_the_facts_the_issue_names_are_covered() -> None:
    kb = load_parking(ROOT / "config" / "parking.yml", OFFICES)
    text = {t.id: t.answer.text for t in kb.topics}
    assert "360" in kb.topic("resident_permit").answer_for("龙潭街道").text  # type: ignore[union-attr]
    assert "2019年1月1日" in text["roadside_fee"]
    assert "投票" in text["marked_spaces"] and "单行单停" in text["marked_spaces"]
    assert "不可以" in text["ground_locks"] and kb.topic("ground_locks").offer_report  # type: ignore[union-attr]
    assert "消防通道" in text["no_parking_zones"] and "盲道" in text["no_parking_zones"]
    assert "有偿使用" in kb.topic("resident_permit").answer.source  # type: ignore[union-attr]


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "parking.yml"
    shutil.copyfile(ROOT / "config" / "parking.yml", path)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("old, new, problem", [
    ("  - id: violation\n", "  - id: fines\n", "未知的话题"),
    ("      龙潭街道:\n", "      月亮街道:\n", "不在 alleys.yml"),
    ("    reviewed: 2026-11-22\n", "    reviewed: 最近\n", "reviewed"),
    ("      私有。", "      私有。" + "很长的话" * 40, "超过"),
])
def test_mistakes_name_the_entry(tmp_path: Path, old: str, new: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_parking(_broken(tmp_path, old, new), OFFICES)
    assert problem in str(err.value) and "parking.yml" in str(err.value) and "topics[" in err.value.entry


def test_ranking_prefers_the_topic_whose_words_the_question_uses() -> None:
    search = ParkingSearch(load_parking(ROOT / "config" / "parking.yml", OFFICES))
    assert search.rank("门口被人装了地锁")[0].topic == "ground_locks"
    assert search.rank("电瓶车充电")[0].topic == "nonmotor"
    assert search.rank("量子计算机") == [] or search.rank("量子计算机")[0].confidence == 0


def test_a_word_list_that_is_not_a_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_parking(_broken(tmp_path, "parking_words: [停,", "parking_words: 停车 [停,"), OFFICES)
    assert "parking_words" in str(err.value) and "词语列表" in str(err.value)


def test_a_word_both_answered_and_not_answered_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_parking(_broken(tmp_path, "not_parking: [驾照,", "not_parking: [罚款, 驾照,"), OFFICES)
    assert "罚款" in str(err.value) and "violation" in str(err.value)
