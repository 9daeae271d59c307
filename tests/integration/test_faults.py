"""The protocol's abuse cases and dependencies that fail for real (issue 13).

PostgreSQL and Redis are cut with a TCP proxy the test controls (connection refused, as when a server stops);
the machine's own servers keep running.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.accounts import texts as account_texts
from bot.core.settings import Settings
from bot.dispatch import Bot
from bot.runtime import Runtime
from bot.simulator import Simulator
from bot.wechat.fake_api import FakeWeChatServer
from bot.wechat.inbound import Inbound
from bot.wechat.protocol import render_text_reply
from bot.wechat.signing import Signer, event_xml, text_xml
from tests.people import uid
from tests.proxy import TcpProxy
from webhooks.app import create_app

TOKEN = "test-token"


def post(client: FlaskClient, xml: str, **sign: str) -> tuple[int, str]:
    req = Signer(TOKEN).sign(xml, **sign)
    res = client.post("/wechat", query_string=req.query, data=req.body, content_type="text/xml")
    return res.status_code, res.get_data(as_text=True)


# --- replay and safe mode --------------------------------------------------------------------------------------

def test_an_old_signed_callback_is_refused(client: FlaskClient, rt: Runtime) -> None:
    stale = str(int(time.time()) - 301)
    assert post(client, text_xml("o_old", "你好"), timestamp=stale)[0] == 403
    future = str(int(time.time()) + 400)
    assert post(client, text_xml("o_old", "你好"), timestamp=future)[0] == 403
    assert rt.inbox.entries() == []


def test_a_logged_callback_url_cannot_carry_another_body(app: Flask, rt: Runtime) -> None:
    rt.accounts.grant_role("o_chief", "chief", "光明胡同")
    client = app.test_client()
    signer = Signer(TOKEN)
    first = signer.sign(text_xml("o_resident", "你好"))
    assert client.post("/wechat", query_string=first.query, data=first.body).status_code == 200
    # The same URL again with the same body (WeChat's retry) still gets its reply ...
    again = client.post("/wechat", query_string=first.query, data=first.body)
    assert again.status_code == 200 and account_texts.GREET in again.get_data(as_text=True)
    # ... but with a forged body it is refused, and the forged command does nothing.
    forged = client.post("/wechat", query_string=first.query, data=text_xml("o_chief", "待办").encode())
    assert forged.status_code == 403
    assert [e.openid for e in rt.inbox.entries()] == ["o_resident"]


def test_safe_mode_refuses_plaintext_callbacks(rt: Runtime) -> None:
    key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    runtime = rt.with_changes(settings=replace(rt.settings, wechat_aes_key=key, wechat_safe_mode=True))
    client = create_app(bot=Bot(runtime)).test_client()
    assert post(client, text_xml("o_plain", "你好"))[0] == 403
    encrypted = Signer(TOKEN, rt.settings.wechat_appid, key).sign(text_xml("o_safe", "你好"))
    res = client.post("/wechat", query_string=encrypted.query, data=encrypted.body)
    assert res.status_code == 200 and b"<Encrypt>" in res.get_data()
    assert [e.openid for e in rt.inbox.entries()] == ["o_safe"]


def test_settings_read_safe_mode() -> None:
    assert Settings.from_env({"WECHAT_SAFE_MODE": "true"}).wechat_safe_mode
    assert not Settings.from_env({}).wechat_safe_mode


# --- the one reply renderer --------------------------------------------------------------------------------

@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_renders_as_well_formed_xml_that_reads_back(text: str) -> None:
    inbound = Inbound(openid="o_x]]>y", account="gh_bot", kind="text", create_time=0, msg_id="1", text="")
    root = ET.fromstring(render_text_reply(inbound, text, now=1))
    allowed = "".join(c for c in text if c in "\t\n\r" or not (ord(c) < 32 or c in "\ufffe\uffff"))
    assert (root.findtext("Content") or "") == allowed.replace("\r\n", "\n").replace("\r", "\n") or \
        (root.findtext("Content") or "") == allowed
    assert root.findtext("ToUserName") == "o_x]]>y"


def test_a_notice_preview_with_cdata_end_is_delivered_whole(app: Flask, rt: Runtime) -> None:
    rt.accounts.grant_role("o_chief", "chief", "光明胡同")
    status, body = post(app.test_client(), text_xml("o_chief", "发通知 光明胡同：水管检修]]><b>明天</b>停水"))
    assert status == 200
    content = ET.fromstring(body).findtext("Content") or ""
    assert "水管检修]]><b>明天</b>停水" in content


# --- what WeChat sends that the bot does not use ------------------------------------------------------------

@pytest.mark.parametrize("event", ["user_scan_product_enter_session", "qualification_verify_success",
                                   "naming_verify_fail", "user_pay_from_pay_cell", "wxa_category_audit"])
def test_unused_event_types_are_success_and_logged(client: FlaskClient, rt: Runtime, event: str) -> None:
    assert post(client, event_xml("o_events", event)) == (200, "success")
    [entry] = rt.inbox.entries()
    assert entry.msg_type == f"event:{event}" and entry.outcome == "handled"


def test_fields_longer_than_wechat_sends_are_refused_whole(client: FlaskClient, rt: Runtime) -> None:
    assert post(client, event_xml("o_events", "x" * 65))[0] == 400
    assert post(client, text_xml("o" * 65, "你好"))[0] == 400
    assert rt.inbox.entries() == []


# --- dependencies down -------------------------------------------------------------------------------------

def _with(settings: Settings, **changes: str | None) -> Flask:
    runtime = Runtime.build(replace(settings, **changes))  # type: ignore[arg-type]
    return create_app(bot=Bot(runtime))


def test_redis_down_makes_wechat_retry_and_the_retry_is_processed_once(settings: Settings, rt: Runtime,
                                                                      real_redis_url: str) -> None:
    url = sa.make_url(real_redis_url.replace("redis://", "postgresql://"))  # parse host/port the same way
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 6379).up()
    try:
        app = _with(settings, redis_url=f"redis://127.0.0.1:{proxy.port}/15")
        client = app.test_client()
        assert post(client, text_xml("o_r", "你好"))[0] == 200
        proxy.down()
        delivery = Signer(TOKEN).sign(text_xml("o_r", "你好呀"))
        res = client.post("/wechat", query_string=delivery.query, data=delivery.body)
        assert res.status_code == 503 and res.get_data() != b"success"  # WeChat will deliver it again
        assert [e.outcome for e in rt.inbox.entries()] == ["handled", "refused"]
        proxy.up()
        retry = Signer(TOKEN).sign(delivery.body.decode(), nonce=str(int(delivery.query["nonce"]) + 1))
        res = client.post("/wechat", query_string=retry.query, data=retry.body)
        assert res.status_code == 200 and account_texts.GREET in res.get_data(as_text=True)
        assert sorted(e.outcome for e in rt.inbox.entries()) == ["handled", "handled", "refused"]
    finally:
        proxy.down()


def test_postgres_down_never_claims_a_record_and_the_retry_is_processed(settings: Settings, rt: Runtime) -> None:
    url = sa.make_url(settings.database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("the SQLite backend has no server to lose (the PostgreSQL run covers this)")
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).up()
    try:
        app = _with(settings, database_url=url.set(port=proxy.port).render_as_string(hide_password=False))
        client = app.test_client()
        assert post(client, text_xml("o_p", "你好"))[0] == 200
        proxy.down()
        delivery = Signer(TOKEN).sign(text_xml("o_p", "你好呀"))
        res = client.post("/wechat", query_string=delivery.query, data=delivery.body)
        assert res.status_code == 503 and "已记录" not in res.get_data(as_text=True)
        proxy.up()
        retry = Signer(TOKEN).sign(delivery.body.decode(), nonce=str(int(delivery.query["nonce"]) + 1))
        res = client.post("/wechat", query_string=retry.query, data=retry.body)
        assert res.status_code == 200 and account_texts.GREET in res.get_data(as_text=True)
        assert [e.outcome for e in rt.inbox.entries()] == ["handled", "handled"]
    finally:
        proxy.down()


# --- media that is not a phone photo -----------------------------------------------------------------------

def _bomb_png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buf, "PNG")  # 9000×9000 = 81 Mpx in a few kilobytes
    return buf.getvalue()


@pytest.mark.parametrize(("media_id", "chunked", "why"), [
    ("media-huge-declared", False, "declares more than"),
    ("media-huge-streamed", True, "is over"),
    ("media-bomb", False, "pixels"),
])
def test_oversized_media_fails_the_photo_not_the_report(app: Flask, rt: Runtime, fake_wechat: FakeWeChatServer,
                                                      run_jobs: Callable[[], None], media_id: str, chunked: bool,
                                                      why: str) -> None:
    from bot.wechat.api import MAX_MEDIA_BYTES

    data = _bomb_png() if media_id == "media-bomb" else b"\xff\xd8" + b"0" * MAX_MEDIA_BYTES
    fake_wechat.add_media(media_id, data, chunked=chunked)
    chat = Simulator(app, "o_big")
    chat.image(media_id)
    reply = chat.text("光明胡同墙皮掉了一大块") or ""
    assert "工单号" in reply
    run_jobs()
    [issue] = rt.issues.mine(uid(rt, "o_big"))
    [photo] = rt.issues.show(issue.ticket).photos
    assert photo.status == "failed" and photo.error and why in photo.error, photo.error
