"""The Rasa client's guard rails, against a stand-in HTTP endpoint that is slow, broken or gone.

The real Rasa server is exercised in tests/e2e/test_rasa.py; here only the client's timing and circuit
breaker are checked, which needs an endpoint that misbehaves on cue.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from bot.core.config import load_config
from nlu import builtin
from nlu.rasa_client import CircuitBreaker, RasaNLU, blend, rasa_scores

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(__import__("os").environ.get("ALLEYBOT_NLU_CACHE", ROOT / "var" / "nlu-test-cache"))


class Endpoint:
    def __init__(self) -> None:
        self.delay = 0.0
        self.status = 200
        self.calls: list[dict[str, object]] = []
        app = Flask("stand-in-rasa")

        @app.post("/model/parse")
        def parse():  # type: ignore[no-untyped-def]
            self.calls.append({"json": request.get_json(), "token": request.args.get("token")})
            time.sleep(self.delay)
            text = request.get_json()["text"]
            return jsonify({"text": text, "intent": {"name": "greet", "confidence": 0.99},
                            "entities": [{"entity": "alley", "value": "光明胡同儿", "start": 0, "end": 5},
                                         {"entity": "alley", "value": "光明胡同", "start": 0, "end": 5}]}), self.status

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture()
def endpoint() -> Iterator[Endpoint]:
    ep = Endpoint()
    yield ep
    ep.server.shutdown()


@pytest.fixture(scope="module")
def fallback() -> builtin.BuiltinNLU:
    return builtin.load(load_config(ROOT / "config").vocabulary(), ROOT / "nlu" / "data", CACHE)


def test_answers_come_from_rasa_with_canonical_deduplicated_entities(endpoint: Endpoint,
                                                                       fallback: builtin.BuiltinNLU) -> None:
    nlu = RasaNLU(endpoint.url, fallback, token="s3cret")
    parsed = nlu.parse("光明胡同儿你好")
    assert parsed.backend == "rasa" and parsed.intent == "greet" and parsed.entities == {"alley": "光明胡同"}
    assert endpoint.calls[0]["token"] == "s3cret"


def test_slash_and_empty_text_never_reach_rasa(endpoint: Endpoint, fallback: builtin.BuiltinNLU) -> None:
    nlu = RasaNLU(endpoint.url, fallback)
    assert nlu.parse("   ").backend == "builtin"
    nlu.parse("/greet")
    assert endpoint.calls == [{"json": {"text": "greet"}, "token": None}]


def test_a_slow_rasa_costs_at_most_the_timeout(endpoint: Endpoint, fallback: builtin.BuiltinNLU) -> None:
    endpoint.delay = 3.0
    nlu = RasaNLU(endpoint.url, fallback)
    started = time.monotonic()
    parsed = nlu.parse("你好")
    assert time.monotonic() - started < 0.9
    assert parsed.backend == "builtin" and parsed.intent == "greet"


def test_the_breaker_opens_after_repeated_failures_and_closes_after_a_good_trial(
        endpoint: Endpoint, fallback: builtin.BuiltinNLU) -> None:
    endpoint.status = 500
    breaker = CircuitBreaker(failures_to_open=3, open_seconds=0.3)
    nlu = RasaNLU(endpoint.url, fallback, breaker=breaker)
    for _ in range(5):
        assert nlu.parse("你好").backend == "builtin"
    assert len(endpoint.calls) == 3 and breaker.is_open  # calls 4 and 5 never left the process
    endpoint.status = 200
    time.sleep(0.35)
    assert nlu.parse("你好").backend == "rasa" and not breaker.is_open


def test_a_dead_rasa_falls_back_at_once(fallback: builtin.BuiltinNLU) -> None:
    nlu = RasaNLU("http://127.0.0.1:9", fallback)  # nothing listens on the discard port
    started = time.monotonic()
    assert nlu.parse("谢谢").intent == "thanks"
    assert time.monotonic() - started < 0.5


def test_rasa_scores_come_from_its_ranking_without_its_fallback_pseudo_intent() -> None:
    doc = {"intent": {"name": "nlu_fallback", "confidence": 0.4},
           "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "checkin", "confidence": 0.35},
                              {"name": "greet", "confidence": 0.25}]}
    assert rasa_scores(doc) == {"checkin": 0.35, "greet": 0.25}
    assert rasa_scores({"intent": {"name": "greet", "confidence": 0.9}}) == {"greet": 0.9}


def test_the_blend_is_a_weighted_mean_and_either_model_can_win() -> None:
    rasa, own = {"checkin": 0.9, "out_of_scope": 0.1}, {"checkin": 0.1, "out_of_scope": 0.8, "greet": 0.1}
    mixed = blend(rasa, own, 0.5)
    assert mixed == pytest.approx({"checkin": 0.5, "out_of_scope": 0.45, "greet": 0.05})
    assert max(blend(rasa, own, 0.3).items(), key=lambda kv: kv[1])[0] == "out_of_scope"
    assert blend(rasa, own, 1.0)["checkin"] == pytest.approx(0.9)


def test_a_doubtful_rasa_answer_is_decided_with_the_built_in_model(endpoint: Endpoint,
                                                                   fallback: builtin.BuiltinNLU) -> None:
    """Rasa's greet at 0.99 on a plain report does not outvote the built-in model's report at weight 0.3."""
    nlu = RasaNLU(endpoint.url, fallback, weight=0.3)
    parsed = nlu.parse("光明胡同有人乱停车 堵着道")
    assert parsed.backend == "rasa" and parsed.intent == "report_issue"
    assert parsed.entities == {"alley": "光明胡同", "category": "illegal_parking"}
