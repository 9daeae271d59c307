"""End to end: a real `alleybot serve` process, signed XML over HTTP on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.runtime import Runtime
from bot.wechat.fake_api import FakeWeChatServer
from bot.wechat.protocol import plain_signature
from bot.wechat.signing import Signer, event_xml, text_xml

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def server(rt: Runtime, fake_wechat: FakeWeChatServer, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    s = rt.settings
    env = {**os.environ, "DATABASE_URL": s.database_url, "REDIS_URL": s.redis_url or "",
           "WECHAT_TOKEN": s.wechat_token, "WECHAT_APPID": s.wechat_appid, "WECHAT_SECRET": s.wechat_secret,
           "WECHAT_API_BASE": s.wechat_api_base, "ALLEYBOT_VAR_DIR": str(tmp_path)}
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("alleybot serve did not come up:\n" + (tmp_path / "serve.log").read_text())
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def post(base: str, xml: str) -> tuple[int, str | None]:
    signer = Signer("test-token")
    req = signer.sign(xml)
    res = requests.post(base + "/wechat", params=req.query, data=req.body, timeout=10,
                        headers={"Content-Type": "text/xml"})
    return res.status_code, signer.open_reply(res.content, req.query) if res.status_code == 200 else None


def test_url_verification_over_http(server: str) -> None:
    ts, nonce = "1714036504", "1514711492"
    res = requests.get(server + "/wechat", params={"signature": plain_signature("test-token", ts, nonce),
                                                   "timestamp": ts, "nonce": nonce, "echostr": "e2e-echo"})
    assert (res.status_code, res.text) == (200, "e2e-echo")
    bad = requests.get(server + "/wechat", params={"signature": "x", "timestamp": ts, "nonce": nonce})
    assert bad.status_code == 403


def test_conversation_and_retry_over_http(server: str, rt: Runtime) -> None:
    status, reply = post(server, event_xml("o_e2e", "subscribe", "qrscene_府右街"))
    assert status == 200 and reply and "已为您绑定府右街" in reply
    xml = text_xml("o_e2e", "谢谢", msg_id=31415926)
    first, retry = post(server, xml), post(server, xml)
    assert first == retry and first[1] and "不客气" in first[1]
    assert len([e for e in rt.inbox.entries() if e.msg_type == "text"]) == 1


def test_garbage_over_http_is_4xx(server: str) -> None:
    req = Signer("test-token").sign("")
    res = requests.post(server + "/wechat", params=req.query, data=b"<xml><oops", timeout=10)
    assert res.status_code == 400 and "Traceback" not in res.text
    huge = requests.post(server + "/wechat", params=req.query, data=b"x" * (1024 * 1024 + 10), timeout=10)
    assert huge.status_code == 413
