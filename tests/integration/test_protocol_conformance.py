"""One test per rule of DESIGN §6, through the real Flask app, including WeChat's known-answer vectors."""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from wechatpy.crypto import WeChatCrypto

from bot.accounts import texts as account_texts
from bot.dispatch import Bot
from bot.router import Chats, Route, Router
from bot.runtime import Runtime
from bot.turn import Reply, Turn
from bot.wechat.fake_api import FakeWeChatServer
from bot.wechat.protocol import plain_signature
from bot.wechat.signing import Signer, event_xml, message_xml, text_xml
from webhooks.app import create_app

SAFE_TOKEN = "123456"
SAFE_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
SAFE_APPID = "wx49f0ab532d5d035a"
SAFE_TS, SAFE_NONCE = "1411525903", "461056294"
SAFE_MSG_SIGNATURE = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
SAFE_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv"
    "283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvk"
    "KR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdg"
    "pkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnT"
    "bcX2e8K9QaNWHp91eBdCRxthuL0="
)
OTHER_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def app_with(rt: Runtime, routes: list[Route] | None = None, at: float | None = None, **changes: object) -> Flask:
    """The app with changed settings; ``at`` fixes its clock (to replay WeChat's known-answer vectors)."""
    runtime = rt
    if changes:
        runtime = rt.with_changes(settings=replace(rt.settings, **changes))
    app = create_app(bot=Bot(runtime, routes=routes))
    if at is not None:
        app.config["WECHAT_CLOCK"] = lambda: at
    return app


def safe_app(rt: Runtime, **changes: object) -> Flask:
    """The app set up like WeChat's safe-mode known-answer vector, its clock at the vector's time."""
    settings: dict[str, object] = {"wechat_token": SAFE_TOKEN, "wechat_aes_key": SAFE_KEY, "wechat_appid": SAFE_APPID}
    return app_with(rt, at=int(SAFE_TS), **{**settings, **changes})


def post(client: FlaskClient, signer: Signer, xml: str) -> tuple[int, bytes]:
    req = signer.sign(xml)
    res = client.post("/wechat", query_string=req.query, data=req.body, content_type="text/xml")
    return res.status_code, res.get_data()


def content(result: tuple[int, bytes]) -> tuple[int, str | None]:
    """Status and the reply's text: the XML also carries a CreateTime, which may tick between deliveries."""
    return result[0], Signer("test-token").open_reply(result[1], {})


def logged(rt: Runtime) -> list[str]:
    return [e.outcome for e in rt.inbox.entries()]


# --- GET: URL verification -------------------------------------------------------------------------------
def test_get_known_answer_echoes_echostr_exactly(rt: Runtime) -> None:
    client = app_with(rt, wechat_token="AAAAA", at=1714037059).test_client()
    res = client.get("/wechat", query_string={"signature": "f464b24fc39322e44b38aa78f5edd27bd1441696",
                                              "timestamp": "1714036504", "nonce": "1514711492",
                                              "echostr": "4375120948345356249"})
    assert res.status_code == 200
    assert res.get_data(as_text=True) == "4375120948345356249"


@pytest.mark.parametrize("query", [
    {"signature": "0" * 40, "timestamp": "1714036504", "nonce": "1514711492", "echostr": "x"},
    {"timestamp": "1714036504", "nonce": "1514711492", "echostr": "x"},
    {"signature": "f464b24fc39322e44b38aa78f5edd27bd1441696", "echostr": "x"},
    {},
])
def test_get_with_bad_or_missing_parameters_is_403_and_stores_nothing(rt: Runtime, query: dict[str, str]) -> None:
    res = app_with(rt, wechat_token="AAAAA").test_client().get("/wechat", query_string=query)
    assert res.status_code == 403
    assert "x" not in res.get_data(as_text=True)
    assert rt.inbox.entries() == []


# --- POST: plaintext mode --------------------------------------------------------------------------------
def test_post_signature_known_answer(rt: Runtime) -> None:
    assert plain_signature("AAAAA", "1714037059", "486452656") == "899cf89e464efb63f54ddac96b0a0a235f53aa78"
    client = app_with(rt, wechat_token="AAAAA", at=1714037059).test_client()
    res = client.post("/wechat", query_string={"signature": "899cf89e464efb63f54ddac96b0a0a235f53aa78",
                                               "timestamp": "1714037059", "nonce": "486452656"},
                      data=text_xml("o_vector", "你好"))
    assert res.status_code == 200
    assert account_texts.GREET in res.get_data(as_text=True)


def test_post_with_wrong_signature_is_403_and_stores_nothing(client: FlaskClient, rt: Runtime) -> None:
    req = Signer("not-our-token").sign(text_xml("o_x", "你好"))
    res = client.post("/wechat", query_string=req.query, data=req.body)
    assert res.status_code == 403
    assert rt.inbox.entries() == [] and rt.accounts.get("o_x") is None


def test_plaintext_reply_is_a_text_message_to_the_sender(client: FlaskClient) -> None:
    status, body = post(client, Signer("test-token"), text_xml("o_plain", "你好", account="gh_acct"))
    assert status == 200
    assert b"<ToUserName><![CDATA[o_plain]]></ToUserName>" in body
    assert b"<FromUserName><![CDATA[gh_acct]]></FromUserName>" in body
    assert account_texts.GREET.encode() in body


# --- POST: safe and compatible mode ----------------------------------------------------------------------
def _safe_query(msg_signature: str = SAFE_MSG_SIGNATURE) -> dict[str, str]:
    return {"signature": plain_signature(SAFE_TOKEN, SAFE_TS, SAFE_NONCE), "timestamp": SAFE_TS,
            "nonce": SAFE_NONCE, "encrypt_type": "aes", "msg_signature": msg_signature}


def _safe_body(encrypt: str = SAFE_ENCRYPT) -> str:
    return f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"


def test_safe_mode_known_answer_decrypts_and_replies_encrypted(rt: Runtime) -> None:
    client = safe_app(rt).test_client()
    res = client.post("/wechat", query_string=_safe_query(), data=_safe_body())
    assert res.status_code == 200
    body = res.get_data()
    assert b"<Encrypt>" in body and b"messense" not in body
    reply = Signer(SAFE_TOKEN, SAFE_APPID, SAFE_KEY).open_reply(body, {})
    assert reply == account_texts.FALLBACK  # the vector's text is "test": not understood, answered politely
    [entry] = rt.inbox.entries()
    assert entry.openid == "messense" and entry.msg_type == "text" and entry.outcome == "handled"


def test_safe_mode_with_wrong_appid_is_403(rt: Runtime) -> None:
    client = safe_app(rt, wechat_appid="wx_not_ours").test_client()
    assert client.post("/wechat", query_string=_safe_query(), data=_safe_body()).status_code == 403
    assert rt.inbox.entries() == []


def test_safe_mode_with_wrong_msg_signature_is_403(rt: Runtime) -> None:
    client = safe_app(rt).test_client()
    res = client.post("/wechat", query_string=_safe_query("0" * 40), data=_safe_body())
    assert res.status_code == 403


def test_safe_mode_non_base64_encrypt_with_valid_msg_signature_is_4xx(rt: Runtime) -> None:
    from wechatpy.crypto import _get_signature

    garbage = "this is not base64 !!!"
    client = safe_app(rt).test_client()
    res = client.post("/wechat", query_string=_safe_query(_get_signature(SAFE_TOKEN, SAFE_TS, SAFE_NONCE, garbage)),
                      data=_safe_body(garbage))
    assert 400 <= res.status_code < 500


def test_compatible_mode_body_with_plaintext_and_encrypt_is_answered_encrypted(rt: Runtime) -> None:
    signer = Signer("test-token", "wx-test-app", SAFE_KEY)
    client = app_with(rt, wechat_aes_key=SAFE_KEY).test_client()
    inner = text_xml("o_compat", "你好")
    req = signer.sign(inner)
    # Compatible mode carries the plaintext fields beside <Encrypt>; the bot must trust only the encrypted part.
    forged = b"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[forged]]></Content></xml>"
    compat = req.body.replace(b"</xml>", forged)
    res = client.post("/wechat", query_string=req.query, data=compat)
    assert res.status_code == 200 and b"<Encrypt>" in res.get_data()
    assert signer.open_reply(res.get_data(), req.query) == account_texts.GREET


def test_previous_aes_key_still_decrypts_and_the_reply_uses_it(rt: Runtime) -> None:
    client = app_with(rt, wechat_aes_key=OTHER_KEY, wechat_aes_key_previous=SAFE_KEY).test_client()
    old_signer = Signer("test-token", "wx-test-app", SAFE_KEY)
    req = old_signer.sign(text_xml("o_rotating", "你好"))
    res = client.post("/wechat", query_string=req.query, data=req.body)
    assert res.status_code == 200
    assert old_signer.open_reply(res.get_data(), req.query) == account_texts.GREET
    with pytest.raises(Exception):  # noqa: B017 - any decryption failure: it was not the new key
        Signer("test-token", "wx-test-app", OTHER_KEY).open_reply(res.get_data(), req.query)


def test_encrypted_message_without_configured_key_is_refused(client: FlaskClient) -> None:
    req = Signer("test-token", "wx-test-app", SAFE_KEY).sign(text_xml("o_nokey", "你好"))
    assert client.post("/wechat", query_string=req.query, data=req.body).status_code == 400


# --- Bad bodies: never a 500 or a traceback --------------------------------------------------------------
@pytest.mark.parametrize("body, status", [
    (b"", 400),
    (b"<xml><FromUserName>o</FromUserName", 400),
    (b"not xml at all", 400),
    (b"<root><a>1</a></root>", 400),
    (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
     b"<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><Content>&b;</Content></xml>", 400),
    (b'<!doctype xml SYSTEM "file:///etc/passwd"><xml><Content>x</Content></xml>', 400),
])
def test_bad_bodies_get_4xx_without_traceback(client: FlaskClient, rt: Runtime, body: bytes, status: int) -> None:
    req = Signer("test-token").sign("")
    res = client.post("/wechat", query_string=req.query, data=body)
    assert res.status_code == status
    assert b"Traceback" not in res.get_data() and b"<html" not in res.get_data().lower()
    assert rt.inbox.entries() == []


def test_body_over_one_megabyte_is_413(client: FlaskClient) -> None:
    big = text_xml("o_big", "长" * 400_000)  # 1.2 MB of UTF-8
    req = Signer("test-token").sign(big)
    res = client.post("/wechat", query_string=req.query, data=req.body, content_type="text/xml")
    assert res.status_code == 413


def test_unknown_msgtype_is_success_and_logged(client: FlaskClient, rt: Runtime) -> None:
    status, body = post(client, Signer("test-token"), message_xml("o_odd", "hologram", Payload="x"))
    assert (status, body) == (200, b"success")
    assert logged(rt) == ["ignored"]


def test_unknown_event_is_success(client: FlaskClient, rt: Runtime) -> None:
    status, body = post(client, Signer("test-token"), event_xml("o_odd", "quantum_entangle", "x"))
    assert (status, body) == (200, b"success")
    assert logged(rt) == ["handled"]


def _boom(turn: Turn) -> Reply:
    raise RuntimeError("database on fire")


def test_handler_exception_answers_with_an_apology_and_records_failure(rt: Runtime) -> None:
    routes = [Route("boom", lambda t: True, _boom)]
    client = app_with(rt, routes=routes).test_client()
    status, body = post(client, Signer("test-token"), text_xml("o_boom", "你好"))
    assert status == 200 and account_texts.APOLOGY.encode() in body and b"Traceback" not in body
    [entry] = rt.inbox.entries()
    assert entry.outcome == "failed" and "database on fire" in (entry.detail or "")


# --- Retries: deduplicated and answered with the same reply ----------------------------------------------
class Counting:
    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self, turn: Turn) -> Reply:
        with self._lock:
            self.calls += 1
            n = self.calls
        time.sleep(self.delay)
        return Reply(f"第{n}次处理：{turn.text}")


def test_retry_of_a_message_gets_the_same_reply_and_is_processed_once(rt: Runtime) -> None:
    handler = Counting()
    client = app_with(rt, routes=[Route("count", lambda t: True, handler)]).test_client()
    xml = text_xml("o_retry", "路灯坏了", msg_id=123456789)
    first, second, third = (content(post(client, Signer("test-token"), xml)) for _ in range(3))
    assert handler.calls == 1
    assert first == second == third == (200, "第1次处理：路灯坏了")
    assert len(rt.inbox.entries()) == 1


def test_retry_of_an_event_is_deduplicated_on_time_event_and_key(rt: Runtime) -> None:
    handler = Counting()
    client = app_with(rt, routes=[Route("count", lambda t: True, handler)]).test_client()
    xml = event_xml("o_evt", "CLICK", "HELP", create_time=1700000000)
    post(client, Signer("test-token"), xml)
    post(client, Signer("test-token"), xml)
    assert handler.calls == 1
    post(client, Signer("test-token"), event_xml("o_evt", "CLICK", "HELP", create_time=1700000001))
    assert handler.calls == 2


def test_retry_arriving_while_the_first_delivery_still_runs_waits_for_its_reply(rt: Runtime) -> None:
    handler = Counting(delay=0.6)
    app = app_with(rt, routes=[Route("slow", lambda t: True, handler)])
    xml = text_xml("o_concurrent", "井盖丢了", msg_id=42)
    results: list[tuple[int, bytes]] = []

    def deliver() -> None:
        results.append(post(app.test_client(), Signer("test-token"), xml))

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert handler.calls == 1
    assert {content(r) for r in results} == {(200, "第1次处理：井盖丢了")}


@pytest.mark.realredis
def test_retries_are_deduplicated_across_workers(rt: Runtime, real_redis_url: str, tmp_path: Path,
                                                 fake_wechat: FakeWeChatServer) -> None:
    """Two worker processes share nothing but Redis and the database; a retry may land on either."""
    from tests.conftest import make_settings

    handler = Counting(delay=0.4)
    routes = [Route("slow", lambda t: True, handler)]
    settings = make_settings(rt.settings.database_url, real_redis_url, fake_wechat, tmp_path)
    worker_a = create_app(bot=Bot(Runtime.build(settings), routes=routes))
    worker_b = create_app(bot=Bot(Runtime.build(settings), routes=routes))
    xml = text_xml("o_two_workers", "有人私装地锁", msg_id=777)
    results: dict[str, tuple[int, bytes]] = {}
    def first_delivery() -> None:
        results["a"] = post(worker_a.test_client(), Signer("test-token"), xml)

    ta = threading.Thread(target=first_delivery)
    ta.start()
    time.sleep(0.1)
    results["b"] = post(worker_b.test_client(), Signer("test-token"), xml)
    ta.join()
    assert handler.calls == 1
    assert content(results["a"]) == content(results["b"]) == (200, "第1次处理：有人私装地锁")


def test_redelivery_after_redis_forgot_is_still_not_processed_twice(rt: Runtime) -> None:
    handler = Counting()
    client = app_with(rt, routes=[Route("count", lambda t: True, handler)]).test_client()
    xml = text_xml("o_amnesia", "你好", msg_id=999)
    post(client, Signer("test-token"), xml)
    rt.redis.flushdb()  # Redis restarted or the dedupe key expired
    status, body = post(client, Signer("test-token"), xml)
    assert handler.calls == 1 and (status, body) == (200, b"success")


# --- The 4-second budget: late replies go by customer-service message ------------------------------------
def test_work_over_budget_answers_success_then_sends_a_customer_service_message(
        rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    handler = Counting(delay=0.8)
    client = app_with(rt, routes=[Route("slow", lambda t: True, handler)], reply_budget_seconds=0.2).test_client()
    rt.accounts.seen("o_slow")  # the user wrote to us: inside the 48-hour window
    xml = text_xml("o_slow", "胡同口的路灯不亮了", msg_id=5150)
    started = time.monotonic()
    assert post(client, Signer("test-token"), xml) == (200, b"success")
    assert time.monotonic() - started < 0.6
    assert post(client, Signer("test-token"), xml) == (200, b"success")  # WeChat's retry: still success
    if not rt.jobs.inline:  # with real Redis the reply is a job: run a worker for it
        _run_worker(rt)
    _wait_for(lambda: fake_wechat.calls("message/custom/send"))
    [call] = fake_wechat.calls("message/custom/send")
    assert call.body["touser"] == "o_slow" and "第1次处理" in call.body["text"]["content"]
    assert handler.calls == 1
    _wait_for(lambda: logged(rt) == ["late"])


def _run_worker(rt: Runtime) -> None:
    from rq import Queue, SimpleWorker

    from bot.core.jobs import QUEUE_NAME, set_worker_runtime

    _wait_for(lambda: Queue(QUEUE_NAME, connection=rt.redis).count > 0)
    set_worker_runtime(rt)
    SimpleWorker([QUEUE_NAME], connection=rt.redis).work(burst=True)


def _wait_for(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    assert condition(), "condition not met in time"  # type: ignore[operator]


def test_late_reply_to_a_user_outside_the_48_hour_window_is_recorded_not_retried(
        rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    fake_wechat.inject("message/custom/send", errcode=45015, times=10)
    handler = Counting(delay=0.6)
    client = app_with(rt, routes=[Route("slow", lambda t: True, handler)], reply_budget_seconds=0.2).test_client()
    assert post(client, Signer("test-token"), text_xml("o_far", "你好", msg_id=6060)) == (200, b"success")
    if not rt.jobs.inline:
        _run_worker(rt)
    _wait_for(lambda: logged(rt) == ["late_failed"])
    assert len(fake_wechat.calls("message/custom/send")) == 1  # tried once, never looped
    [entry] = rt.inbox.entries()
    assert "template" in (entry.detail or "")


def test_unsubscribe_stops_sending_and_anonymises(client: FlaskClient, rt: Runtime,
                                                  fake_wechat: FakeWeChatServer) -> None:
    signer = Signer("test-token")
    post(client, signer, event_xml("o_leaving", "subscribe", "qrscene_光明胡同"))
    post(client, signer, text_xml("o_leaving", "你好"))
    assert rt.accounts.get("o_leaving") is not None
    assert post(client, signer, event_xml("o_leaving", "unsubscribe")) == (200, b"success")
    assert rt.accounts.get("o_leaving") is None  # the openid is gone from the users table
    assert all(not e.openid.startswith("o_leaving") for e in rt.inbox.entries())
    assert all("o_leaving" not in e.msg_key for e in rt.inbox.entries())
    assert rt.messenger.deliver_text("o_leaving", "明天停水").status == "skipped"
    assert fake_wechat.calls("message/custom/send") == []


def test_safe_mode_round_trip_with_our_own_key(rt: Runtime) -> None:
    key = base64.b64encode(b"k" * 32).decode().rstrip("=")
    signer = Signer("test-token", "wx-test-app", key)
    client = app_with(rt, wechat_aes_key=key).test_client()
    req = signer.sign(text_xml("o_safe", "谢谢"))
    res = client.post("/wechat", query_string=req.query, data=req.body)
    assert signer.open_reply(res.get_data(), req.query) == account_texts.THANKS
    # The reply's own msg_signature verifies, as WeChat will check it.
    root = res.get_data().decode()
    assert WeChatCrypto("test-token", key, "wx-test-app").decrypt_message(
        root, root.split("<MsgSignature><![CDATA[")[1].split("]]>")[0],
        root.split("<TimeStamp>")[1].split("</TimeStamp>")[0], root.split("<Nonce><![CDATA[")[1].split("]]>")[0])


def test_routes_are_the_documented_order(rt: Runtime) -> None:
    names = [r.name for r in Router(Chats.of(rt)).routes]
    assert names.index("cancel") < names.index("flow") and names[-1] == "fallback"
    assert names.index("help") < names.index("flow")
