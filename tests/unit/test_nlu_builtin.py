"""The built-in NLU backend: canonical entities, typos, new alleys from config alone, the model cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.config import load_config
from nlu import builtin, training_data
from nlu.builtin import BuiltinNLU

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(__import__("os").environ.get("ALLEYBOT_NLU_CACHE", ROOT / "var" / "nlu-test-cache"))


@pytest.fixture(scope="module")
def nlu() -> BuiltinNLU:
    return builtin.load(load_config(ROOT / "config").vocabulary(), ROOT / "nlu" / "data", CACHE)


@pytest.mark.parametrize("text, intent, entities", [
    ("老大爷们都在光明胡同儿口下棋 车过不去 有人乱停车", "report_issue",
     {"alley": "光明胡同", "category": "illegal_parking"}),
    ("力学湖同那地锁谁装的", "report_issue", {"alley": "力学胡同", "category": "ground_lock"}),
    ("东四块玉北街电线耷拉下来了", "report_issue", {"alley": "东四块玉北街", "category": "overhead_wires"}),
    ("请问居住停车证怎么办理", "ask_parking", {}),
    ("我家住在太仆寺街", "bind_alley", {"alley": "太仆寺街"}),
    ("巡查完了签个到", "checkin", {}),
    ("不大满意", "poll_answer", {"rating": 1}),
    ("非常好", "poll_answer", {"rating": 3}),
    ("", "out_of_scope", {}),
])
def test_intents_and_canonical_entities(nlu: BuiltinNLU, text: str, intent: str, entities: dict[str, object]) -> None:
    parsed = nlu.parse(text)
    assert (parsed.intent, parsed.entities) == (intent, entities)
    assert parsed.backend == "builtin" and 0.0 <= parsed.confidence <= 1.0


def test_category_belongs_to_reports_only(nlu: BuiltinNLU) -> None:
    parsed = nlu.parse("乱停车的罚款是多少钱")
    assert parsed.intent == "ask_parking" and "category" not in parsed.entities


@pytest.mark.parametrize("text, alley", [
    ("光明胡桶", "光明胡同"),      # homophone from pinyin input
    ("东斜接口", "东斜街"),        # homophone, short name
    ("光明胡洞那块", "光明胡同"),  # one wrong syllable in a long name
    ("西四块玉胡同儿", "西四块玉胡同"),
])
def test_gazetteer_tolerates_typos(nlu: BuiltinNLU, text: str, alley: str) -> None:
    assert nlu.gazetteer.alley_in(text) == alley


def test_an_ambiguous_fragment_is_not_forced_onto_one_alley(nlu: BuiltinNLU) -> None:
    assert nlu.gazetteer.alley_in("四块玉那边") is None
    assert set(nlu.gazetteer.candidates("四块玉那边")) >= {"四块玉中街", "东四块玉北街", "西四块玉胡同"}


@pytest.mark.slow  # trains a model
def test_a_new_alley_in_config_needs_no_code_change(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    shutil.copytree(ROOT / "config", config_dir)
    with (config_dir / "alleys.yml").open("a", encoding="utf-8") as fh:
        fh.write("  - name: 鹞儿胡同\n    aliases: [鹞子胡同]\n    district: 西城区\n    street_office: 金融街街道\n"
                 "    chief: 测试员\n    center: [39.9150, 116.3660]\n"
                 "    polyline: [[39.9150, 116.3650], [39.9150, 116.3670]]\n")
    fresh = builtin.load(load_config(config_dir).vocabulary(), ROOT / "nlu" / "data", tmp_path / "cache")
    parsed = fresh.parse("鹞子胡同口有辆僵尸车")
    assert parsed.intent == "report_issue" and parsed.entities["alley"] == "鹞儿胡同"


def test_the_model_is_cached_by_data_and_config(tmp_path: Path) -> None:
    config = load_config(ROOT / "config")
    cache = tmp_path / "cache"
    shutil.copytree(CACHE, cache, dirs_exist_ok=True)  # reuse what this run trained already
    builtin._LOADED.clear()
    builtin.load(config.vocabulary(), ROOT / "nlu" / "data", cache)
    files = sorted(cache.glob("builtin-*.pkl"))
    assert len(files) >= 1
    stamps = {f: f.stat().st_mtime_ns for f in files}
    builtin._LOADED.clear()
    builtin.load(config.vocabulary(), ROOT / "nlu" / "data", cache)
    assert {f: f.stat().st_mtime_ns for f in cache.glob("builtin-*.pkl")} == stamps  # loaded, not retrained


def test_training_data_annotations_are_read() -> None:
    ex = training_data.parse_example('[光明胡同儿]{"entity": "alley", "value": "光明胡同"}有[违建]{"entity": '
                                     '"category", "value": "illegal_construction"}', "report_issue")
    assert ex.text == "光明胡同儿有违建"
    assert [(s.start, s.end, s.entity, s.value) for s in ex.spans] == [
        (0, 5, "alley", "光明胡同"), (6, 8, "category", "illegal_construction")]
    short = training_data.parse_example("我住[东斜街](alley)", "bind_alley")
    assert short.text == "我住东斜街" and short.entities == {"alley": "东斜街"}


def test_training_data_has_what_the_issue_asks() -> None:
    data = training_data.load(ROOT / "nlu" / "data")
    counts = {i: sum(1 for e in data.examples if e.intent == i) for i in data.intents()}
    assert counts["report_issue"] >= 80 and counts["ask_parking"] >= 50
    assert all(n >= 30 for n in counts.values()), counts
    categories = {e.entities.get("category") for e in data.examples if e.intent == "report_issue"}
    assert len(categories - {None}) >= 13  # every code but `other` is annotated somewhere


def test_the_training_data_covers_exactly_the_design_intents() -> None:
    from nlu.interface import INTENTS

    assert set(training_data.load(ROOT / "nlu" / "data").intents()) == set(INTENTS)


def test_every_annotated_value_is_canonical() -> None:
    from bot.core.config import CATEGORY_CODES

    data = training_data.load(ROOT / "nlu" / "data")
    alleys = {a.name for a in load_config(ROOT / "config").alleys}
    allowed = {"alley": alleys, "category": set(CATEGORY_CODES), "rating": {"1", "2", "3"}}
    wrong = [(e.text, s.entity, s.value) for e in data.examples for s in e.spans
             if s.value not in allowed.get(s.entity, set())]
    assert wrong == []


def test_the_held_out_set_is_never_trained_on() -> None:
    from nlu.evaluation import read_jsonl

    data = training_data.load(ROOT / "nlu" / "data")
    seen = {e.text for e in data.examples}
    held_out = read_jsonl(ROOT / "nlu" / "data" / "test.jsonl")
    assert len(held_out) >= 250
    assert [r["text"] for r in held_out if r["text"] in seen] == []


def test_the_indexed_word_search_finds_what_the_plain_one_does() -> None:
    """The gazetteer scans a message once (an index by first character) instead of searching it once per
    listed word: the same word, value and place, whatever the text."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from nlu.gazetteer import Gazetteer, _first

    gaz = Gazetteer.from_vocabulary(load_config(Path(__file__).resolve().parents[2] / "config").vocabulary())
    pieces = [w for w, _ in gaz.category_keywords[::7]] + [w for w, _ in gaz.rating_words] + \
        [w for w, _ in gaz.alley_spellings[::3]] + ["胡同", "门口", "了", " "]

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(pieces) | st.text(max_size=3), max_size=8).map("".join))
    def same(text: str) -> None:
        assert gaz._first_indexed(text, gaz.category_keywords) == _first(text, gaz.category_keywords)
        assert gaz._first_indexed(text, gaz.rating_words) == _first(text, gaz.rating_words)
        assert gaz._first_indexed(text, gaz.alley_spellings) == _first(text, gaz.alley_spellings)

    same()


@pytest.mark.parametrize("text, category", [
    ("路灯好几天都不亮了", "facility_damage"),          # thing, then what became of it
    ("断了一条腿的长椅没人修", "facility_damage"),      # the other order
    ("井盖让人偷了", "road_damage"),
    ("墙上被人用油漆写了好多收废品的电话", "illegal_ads"),  # the pattern covers more than the keyword 废品
    ("门上贴满了开锁通下水道的小纸条", "illegal_ads"),    # not the sanitation of 下水道 … 满了
    ("临街那面墙被掏开了 弄个窗口卖早点", "wall_opening"),  # the wall cut open, not the selling through it
    ("楼门口的建筑垃圾堆了好几天没人清", "piled_materials"),  # debris waiting is piled, not uncollected garbage
])
def test_patterns_read_a_problem_told_in_other_words(nlu: BuiltinNLU, text: str, category: str) -> None:
    found = nlu.gazetteer.find_category(text)
    assert found is not None and found.value == category


def test_a_pattern_needs_its_thing_and_state_close_together(nlu: BuiltinNLU) -> None:
    assert nlu.gazetteer.find_category("单杠那边的老街坊说好了明天一起去公园 断") is None
    assert nlu.gazetteer.find_category("单杠那边断了") is not None


def test_a_complaint_about_a_parcel_or_a_bill_is_out_of_scope(nlu: BuiltinNLU) -> None:
    assert nlu.parse("快递员把我的件扔楼下就走了").intent == "out_of_scope"
    assert nlu.parse("燃气费的账单怎么看啊").intent == "out_of_scope"  # a how-to about a bill, not about the bot
    assert nlu.gazetteer.not_ours_in("燃气费又涨了") == "燃气费"
    # A 十无 problem named beside it keeps it a report.
    assert nlu.gazetteer.not_ours_in("快递三轮车堵着道") is None
    assert nlu.parse("送快递的三轮车天天横在光明胡同口堵着道").intent == "report_issue"


def test_a_problem_inside_the_home_is_not_the_alleys(nlu: BuiltinNLU) -> None:
    # The drain is a sanitation word; whose drain decides whose problem it is.
    assert nlu.parse("我家下水道堵了 能找人通吗").intent == "out_of_scope"
    assert nlu.parse("胡同里的下水道堵了 一股味儿").entities.get("category") == "sanitation"
    # A not-ours word that only touches the problem's words leaves it the street's: 往外卖 holds 外卖.
    assert nlu.gazetteer.not_ours_in("那家从窗户往外卖烟酒") is None
    assert nlu.gazetteer.not_ours_in("磁器口东一巷墙上的空调外机架子锈透了") is None


def test_jiebas_dictionary_is_kept_in_the_nlu_cache_and_read_back_the_same(tmp_path: Path) -> None:
    """Fresh processes: the first builds the dictionary and keeps it, the next reads it back (the fast start),
    and an unreadable copy is rebuilt rather than trusted. Each splits a sentence the same way."""
    import subprocess
    import sys

    code = ("import sys, jieba; from pathlib import Path; from nlu import segmenter; "
            "segmenter.load_dictionary(Path(sys.argv[1])); "
            "print(jieba.dt.initialized, '/'.join(jieba.lcut(sys.argv[2])))")
    sentence = "光明胡同口的路灯坏了一个多礼拜"

    def split() -> str:
        return subprocess.run([sys.executable, "-c", code, str(tmp_path), sentence], capture_output=True, text=True,
                              check=True, cwd=ROOT).stdout.strip()

    first = split()
    kept = tmp_path / f"jieba-{__import__('jieba').__version__}.marshal"
    assert kept.is_file() and first.startswith("True ")
    assert split() == first
    kept.write_bytes(b"not marshal data")
    assert split() == first
    assert kept.stat().st_size > 1_000_000  # rebuilt and kept again
