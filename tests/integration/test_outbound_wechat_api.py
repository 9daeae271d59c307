"""The outbound client against the fake WeChat API: one shared token, bounded retries, injected errors."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis as redis_lib
from PIL import Image

from bot.runtime import Runtime
from bot.wechat.api import ConsoleWeChatAPI, WeChatAPI, WeChatAPIError, WechatpyAPI
from bot.wechat.fake_api import FakeWeChatServer


def api(rt: Runtime, fake: FakeWeChatServer, timeout: float = 5.0) -> WechatpyAPI:
    """A second 'worker' has its own client object but the same Redis."""
    return WechatpyAPI("wx-test-app", "test-secret", fake.base_url, rt.redis, timeout=timeout)


def test_workers_share_one_access_token(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    api(rt, fake_wechat).send_text("o_a", "一")
    api(rt, fake_wechat).send_text("o_b", "二")
    assert len(fake_wechat.calls("token")) == 1
    tokens = {c.params["access_token"] for c in fake_wechat.calls("message/custom/send")}
    assert len(tokens) == 1


def test_concurrent_first_use_fetches_the_token_once(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    errors: list[Exception] = []

    def send(i: int) -> None:
        try:
            api(rt, fake_wechat).send_text(f"o_{i}", "并发")
        except Exception as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(fake_wechat.calls("token")) == 1
    assert all(c.answered == 0 for c in fake_wechat.calls("message/custom/send"))


@pytest.mark.parametrize("errcode", [40001, 42001])
def test_rejected_token_is_refreshed_and_the_call_retried(rt: Runtime, fake_wechat: FakeWeChatServer,
                                                          errcode: int) -> None:
    client = api(rt, fake_wechat)
    client.send_text("o_a", "先拿到 token")
    fake_wechat.inject("message/custom/send", errcode=errcode)
    client.send_text("o_a", "再发一次")
    sends = fake_wechat.calls("message/custom/send")
    assert [c.answered for c in sends] == [0, errcode, 0]
    assert len(fake_wechat.calls("token")) == 2
    assert sends[2].params["access_token"] != sends[1].params["access_token"]


def test_expired_tokens_everywhere_are_renewed(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    client = api(rt, fake_wechat)
    client.send_text("o_a", "一")
    fake_wechat.expire_tokens()
    client.send_text("o_a", "二")
    assert [c.answered for c in fake_wechat.calls("message/custom/send")] == [0, 42001, 0]


def test_token_retries_are_bounded(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    fake_wechat.inject("message/custom/send", errcode=40001, times=10)
    with pytest.raises(WeChatAPIError) as err:
        api(rt, fake_wechat).send_text("o_a", "不会成功")
    assert err.value.errcode == 40001
    assert len(fake_wechat.calls("message/custom/send")) == 3


@pytest.mark.parametrize("errcode", [-1, 45009, 45015, 45047])
def test_other_errors_surface_with_their_code_and_are_not_retried(rt: Runtime, fake_wechat: FakeWeChatServer,
                                                                  errcode: int) -> None:
    fake_wechat.inject("message/custom/send", errcode=errcode)
    with pytest.raises(WeChatAPIError) as err:
        api(rt, fake_wechat).send_text("o_a", "失败")
    assert err.value.errcode == errcode
    assert len(fake_wechat.calls("message/custom/send")) == 1


def test_slow_response_becomes_a_network_error(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    client = api(rt, fake_wechat, timeout=0.3)
    client.send_text("o_a", "拿 token")
    fake_wechat.inject("message/custom/send", delay=1.0)
    with pytest.raises(WeChatAPIError) as err:
        client.send_text("o_a", "太慢")
    assert err.value.errcode == -1


def test_media_download_returns_a_real_jpeg(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    data = api(rt, fake_wechat).download_media("media-abc")
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG" and max(img.size) > 2048


def test_expired_media_is_40007(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    fake_wechat.inject("media/get", errcode=40007)
    with pytest.raises(WeChatAPIError) as err:
        api(rt, fake_wechat).download_media("media-expired")
    assert err.value.errcode == 40007


def test_template_message_returns_the_msgid(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    msgid = api(rt, fake_wechat).send_template("o_a", "TPL", {"content": {"value": "明天停水"}})
    [call] = fake_wechat.calls("message/template/send")
    assert msgid > 0 and call.body["template_id"] == "TPL" and call.body["touser"] == "o_a"


def test_late_delivery_falls_back_to_a_template_outside_the_window(
        rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    from bot.wechat.messenger import Messenger

    rt.accounts.seen("o_window")
    fake_wechat.inject("message/custom/send", errcode=45015)
    result = Messenger(rt.uow, rt.wechat, template_id="TPL-NOTICE").deliver_text("o_window", "您的反映已办结")
    assert result.status == "template" and result.errcode == 45015
    assert fake_wechat.calls("message/template/send")[0].body["data"]["content"]["value"] == "您的反映已办结"


def test_no_customer_service_message_to_someone_silent_for_48_hours(
        rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    from datetime import UTC, datetime, timedelta

    rt.accounts.seen("o_quiet", now=datetime.now(UTC) - timedelta(hours=49))
    result = rt.messenger.deliver_text("o_quiet", "通知")
    assert result.status == "failed" and fake_wechat.calls("message/custom/send") == []


# --- One contract, both implementations (DESIGN §4.8) ----------------------------------------------------
@pytest.fixture(params=["wechatpy+fake-server", "console"])
def implementation(request: pytest.FixtureRequest, rt: Runtime, fake_wechat: FakeWeChatServer,
                   tmp_path: Path) -> Iterator[tuple[WeChatAPI, str, Callable[[], int]]]:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(fake_wechat.jpeg)
    if request.param == "console":
        console = ConsoleWeChatAPI(out=io.StringIO())
        yield console, f"local:{photo}", lambda: len(console.sent)
    else:
        yield api(rt, fake_wechat), "media-photo", lambda: len(fake_wechat.calls()) - len(fake_wechat.calls("token"))


def test_contract_send_text_and_menu(implementation: tuple[WeChatAPI, str, Callable[[], int]]) -> None:
    client, _, count = implementation
    client.send_text("o_contract", "您好")
    client.create_menu({"button": [{"type": "click", "name": "帮助", "key": "HELP"}]})
    assert count() == 2


def test_contract_media(implementation: tuple[WeChatAPI, str, Callable[[], int]]) -> None:
    client, known, _ = implementation
    assert client.download_media(known)[:2] == b"\xff\xd8"
    with pytest.raises(WeChatAPIError) as err:
        client.download_media("no-such-media")
    assert err.value.errcode == 40007


def test_redis_token_key_has_a_ttl(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    api(rt, fake_wechat).send_text("o_a", "ttl")
    keys = [k for k in rt.redis.keys("alleybot:wx:*") if b"access_token" in k]
    assert len(keys) == 1
    ttl = rt.redis.ttl(keys[0])
    assert isinstance(rt.redis, redis_lib.Redis) and 0 < ttl <= 7200
