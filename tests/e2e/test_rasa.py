"""The Rasa 3.6 backend against a real `rasa run --enable-api` server with the trained model.

Runs when ALLEYBOT_RASA_MODEL names a trained model (.ci/run trains one); CI without it fails.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.accounts import texts as account_texts
from bot.dispatch import Bot
from bot.runtime import Runtime
from bot.simulator import Simulator
from nlu import rasa_project
from nlu.evaluation import evaluate, read_jsonl
from nlu.rasa_client import RasaNLU
from webhooks.app import create_app

pytestmark = pytest.mark.rasa
ROOT = Path(__file__).resolve().parents[2]


def _model() -> Path:
    model = os.environ.get("ALLEYBOT_RASA_MODEL")
    if not model or not Path(model).is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("ALLEYBOT_RASA_MODEL is not a trained model; .ci/run trains one first", pytrace=False)
        pytest.skip("no trained Rasa model (run `alleybot nlu rasa-train`, set ALLEYBOT_RASA_MODEL)")
    return Path(model)


class RasaServer:
    def __init__(self, model: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.token = secrets.token_hex(8)
        self.url = f"http://127.0.0.1:{self.port}"
        command = rasa_project.serve_command(rasa_project.Project(model.parent.parent), self.port, self.token,
                                                 rasa_project.RasaPlaces())
        command[command.index("--model") + 1] = str(model)
        self.log = open(model.parent / f"serve-{self.port}.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=rasa_project.rasa_environment(os.environ), start_new_session=True)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/status", params={"token": self.token}, timeout=1).status_code == 200:
                    self._warm_up()
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(1)
        self.stop()
        pytest.fail("rasa run did not come up: " + Path(self.log.name).read_text()[-2000:])

    def _warm_up(self) -> None:
        """Ready means answering fast: a fresh Rasa's first parses build TensorFlow graphs and take seconds."""
        for text in ("你好", "我住光明胡同儿", "胡同里能停车吗", "路灯坏了", "谢谢"):
            requests.post(f"{self.url}/model/parse", params={"token": self.token}, json={"text": text}, timeout=60)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def server() -> Iterator[RasaServer]:
    srv = RasaServer(_model())
    yield srv
    srv.stop()


def test_rasa_is_served_with_an_auth_token(server: RasaServer) -> None:
    assert requests.get(f"{server.url}/status", timeout=5).status_code in (401, 403)


def test_rasa_backend_on_the_held_out_sets(server: RasaServer, rt: Runtime) -> None:
    """DIET by itself on the older held-out set, and the Rasa backend as the bot runs it (DIET blended with the
    built-in model, docs/nlu.md) on residents' own wording, to the same bar as the built-in backend."""
    alone = RasaNLU(server.url, rt.nlu, token=server.token, weight=1.0)  # type: ignore[arg-type]
    report = evaluate(alone, read_jsonl(ROOT / "nlu" / "data" / "test.jsonl"))
    out = ROOT / "var" / "rasa-eval.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"\nRasa alone on the held-out set: accuracy {report['intent_accuracy']}, entity F1 "
          f"{report['entity_f1']}, p50 {report['latency_ms']['p50']} ms, p99 {report['latency_ms']['p99']} ms "
          f"(full report: {out})")
    assert report["backends"] == {"rasa": report["n"]}  # every answer came from Rasa, none from the fallback
    assert report["intent_accuracy"] >= 0.85 and report["entity_f1"] >= 0.80

    blended = RasaNLU(server.url, rt.nlu, token=server.token)  # type: ignore[arg-type]
    report = evaluate(blended, read_jsonl(ROOT / "nlu" / "heldout" / "residents_c.jsonl"))
    print(f"Rasa backend on residents' wording: accuracy {report['intent_accuracy']}, category "
          f"{report['category_accuracy']}, report precision {report['report_issue_precision']}")
    assert report["backends"] == {"rasa": report["n"]}
    assert report["intent_accuracy"] >= 0.95 and report["category_accuracy"] >= 0.90
    assert report["report_issue_precision"] >= 0.97


def test_the_bot_keeps_answering_when_rasa_dies_mid_conversation(rt: Runtime) -> None:
    server = RasaServer(_model())
    try:
        nlu = RasaNLU(server.url, rt.nlu, token=server.token)  # type: ignore[arg-type]
        runtime = rt.with_changes(nlu=nlu)  # the same runtime, talking to Rasa
        app = create_app(bot=Bot(runtime))
        chat = Simulator(app, "o_rasa_user")
        client = app.test_client()
        assert chat.text("您好") == account_texts.GREET
        assert client.get("/healthz").get_json()["nlu"]["last_backend"] == "rasa"
        server.kill()
        for words, expected in (("谢谢您嘞", account_texts.THANKS), ("你好呀", account_texts.GREET),
                                ("帮助", account_texts.MENU),
                                ("我住光明胡同儿", "已为您绑定光明胡同"), ("谢谢", account_texts.THANKS)):
            started = time.monotonic()
            reply = chat.text(words)
            assert reply is not None and expected in reply
            assert time.monotonic() - started < 1.5  # far inside WeChat's 5-second deadline
        assert nlu.breaker.is_open
        assert client.get("/healthz").get_json()["nlu"]["last_backend"] == "builtin"
    finally:
        server.stop()
