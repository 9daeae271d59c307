"""The interim keyword backend: literal cues, canonical entities, out_of_scope when unsure."""

from pathlib import Path

import pytest

from bot.config import load_config
from nlu.gazetteer import Gazetteer
from nlu.keywords import KeywordNLU

NLU = KeywordNLU(Gazetteer.from_config(load_config(Path(__file__).resolve().parents[2] / "config")))


@pytest.mark.parametrize("text, intent, entities", [
    ("您好", "greet", {}),
    ("谢谢啦", "thanks", {}),
    ("怎么用啊", "help", {}),
    ("我家在光明胡同儿", "bind_alley", {"alley": "光明胡同"}),
    ("光明胡桶门口有人乱停车", "report_issue", {"alley": "光明胡同", "category": "illegal_parking"}),
    ("东四块玉北街墙上全是小广告", "report_issue", {"alley": "东四块玉北街", "category": "illegal_ads"}),
    ("乱停车罚多少钱", "ask_parking", {"category": "illegal_parking"}),
    ("满意", "poll_answer", {"rating": 3}),
    ("不满意！", "poll_answer", {"rating": 1}),
    ("今天天气怎么样", "out_of_scope", {}),
])
def test_intents_and_canonical_entities(text: str, intent: str, entities: dict[str, object]) -> None:
    parsed = NLU.parse(text)
    assert (parsed.intent, parsed.entities) == (intent, entities)


def test_out_of_scope_has_zero_confidence() -> None:
    assert NLU.parse("随便说点什么").confidence == 0.0
