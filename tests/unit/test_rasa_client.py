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
from nlu.rasa_client import CircuitBreaker, RasaNLU

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
