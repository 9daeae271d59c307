"""Outbound WeChat API behind one small interface, with the real client (wechatpy) and a console fake.

The real client shares one access_token between every worker through Redis and refreshes it under a Redis
lock, because WeChat invalidates the old token whenever anybody fetches a new one: uncoordinated workers
would keep knocking each other's tokens out.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

import redis
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

log = logging.getLogger(__name__)
T = TypeVar("T")

TOKEN_ERRORS = (40001, 40014, 42001)
TOKEN_RETRIES = 2  # after the first attempt: bounded, a token that keeps failing is an outage, not a race
TOKEN_MEMO_SECONDS = 60.0  # a process's copy of the shared token; far less than TOKEN_EARLY_REFRESH
TOKEN_EARLY_REFRESH = 300  # seconds before WeChat's expiry, so a token never dies mid-request


class WeChatAPIError(Exception):
    def __init__(self, errcode: int, errmsg: str = "") -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


# WeChat's image messages are at most 10 MB; anything bigger is not a photo a resident sent. The download
# stops reading at this many bytes rather than buffering whatever the other end streams.
MAX_MEDIA_BYTES = 10 * 1024 * 1024
MEDIA_TOO_LARGE = -413  # our own code (WeChat's are positive or -1): permanent, never retried


class WeChatAPI(Protocol):
    def send_text(self, openid: str, text: str) -> None: ...

    def send_template(self, openid: str, template_id: str, data: dict[str, Any],
                      url: str | None = None) -> int: ...

    def download_media(self, media_id: str) -> bytes: ...

    def upload_image(self, data: bytes) -> str: ...

    def send_image(self, openid: str, media_id: str) -> None: ...

    def create_menu(self, menu: dict[str, Any]) -> None: ...

    def create_scene_qr(self, scene: str) -> str: ...


class _SharedTokenClient(WeChatClient):  # type: ignore[misc]  # wechatpy ships no type hints
    """wechatpy's client with the token URL under our API base and the refresh under a Redis lock."""

    def __init__(self, appid: str, secret: str, api_base: str, client: redis.Redis, timeout: float) -> None:
        from wechatpy.session.redisstorage import RedisStorage

        super().__init__(appid, secret, session=RedisStorage(client, prefix="alleybot:wx"), timeout=timeout,
                         auto_retry=False)  # wechatpy's own retry is unbounded; ours is not
        self.API_BASE_URL = api_base
        self._redis = client
        self._memo: tuple[str, float] | None = None  # (token, until): this process's copy of the shared token

    @property
    def access_token(self) -> str:
        # Redis holds the one token every worker uses (its TTL is the expiry); each process keeps it in memory
        # for TOKEN_MEMO_SECONDS, well inside the TOKEN_EARLY_REFRESH margin, so a send costs no Redis read.
        memo = self._memo
        if memo is not None and memo[1] > time.monotonic():
            return memo[0]
        token = self.session.get(self.access_token_key)
        if not token:
            self.fetch_access_token()
            token = self.session.get(self.access_token_key)
        self._memo = (str(token), time.monotonic() + TOKEN_MEMO_SECONDS)
        return str(token)

    def fetch_access_token(self) -> dict[str, Any]:
        with self._redis.lock("alleybot:wx:token-lock", timeout=15, blocking_timeout=15):
            current = self.session.get(self.access_token_key)
            if current:  # another worker refreshed while we waited for the lock
                return {"access_token": current}
            res = self._http.get(self.API_BASE_URL + "token", timeout=self.timeout, params={
                "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
            res.raise_for_status()
            result: dict[str, Any] = res.json()
            if result.get("errcode"):
                raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self)
            ttl = max(60, int(result.get("expires_in", 7200)) - TOKEN_EARLY_REFRESH)
            self.session.set(self.access_token_key, result["access_token"], ttl)
            return result

    def invalidate(self, token: str) -> None:
        """Drop the shared token if it is still the one that failed (another worker may have renewed it)."""
        self._memo = None
        with self._redis.lock("alleybot:wx:token-lock", timeout=15, blocking_timeout=15):
            if self.session.get(self.access_token_key) == token:
                self.session.delete(self.access_token_key)


class WechatpyAPI:
    def __init__(self, appid: str, secret: str, api_base: str, client: redis.Redis,
                 timeout: float = 5.0) -> None:
        self._client = _SharedTokenClient(appid, secret, api_base, client, timeout)

    def _call(self, fn: Callable[[], T]) -> T:
        for attempt in range(TOKEN_RETRIES + 1):
            try:
                token = self._client.access_token
                return fn()
            except WeChatClientException as exc:
                code = int(exc.errcode) if exc.errcode is not None else -1
                if code in TOKEN_ERRORS and attempt < TOKEN_RETRIES:
                    log.info("access_token rejected (%s), refreshing (attempt %d)", code, attempt + 1)
                    self._client.invalidate(token)
                    continue
                raise WeChatAPIError(code, str(exc.errmsg or "")) from exc
            except requests.RequestException as exc:
                raise WeChatAPIError(-1, f"network: {exc}") from exc
        raise AssertionError("unreachable: the loop returns or raises")

    def send_text(self, openid: str, text: str) -> None:
        self._call(lambda: self._client.message.send_text(openid, text))

    def send_template(self, openid: str, template_id: str, data: dict[str, Any],
                      url: str | None = None) -> int:
        result = self._call(lambda: self._client.message.send_template(openid, template_id, data, url))
        return int(result.get("msgid", 0))

    def download_media(self, media_id: str) -> bytes:
        """Stream media/get, stopping at MAX_MEDIA_BYTES (declared or actually sent)."""
        def fetch() -> bytes:
            res = self._client._http.get(self._client.API_BASE_URL + "media/get", stream=True,
                                         timeout=self._client.timeout,
                                         params={"access_token": self._client.access_token, "media_id": media_id})
            with res:
                kind = res.headers.get("Content-Type", "")
                if "json" in kind or "text/plain" in kind:  # WeChat answers errors as JSON
                    body = json.loads(res.raw.read(64 * 1024, decode_content=True) or b"{}")
                    raise WeChatClientException(body.get("errcode", -1), body.get("errmsg", "unexpected JSON"),
                                                client=self._client)
                res.raise_for_status()
                if int(res.headers.get("Content-Length") or 0) > MAX_MEDIA_BYTES:
                    raise WeChatAPIError(MEDIA_TOO_LARGE, f"media {media_id} declares more than {MAX_MEDIA_BYTES} B")
                data = bytearray()
                for chunk in res.iter_content(64 * 1024):
                    data += chunk
                    if len(data) > MAX_MEDIA_BYTES:
                        raise WeChatAPIError(MEDIA_TOO_LARGE, f"media {media_id} is over {MAX_MEDIA_BYTES} B")
                return bytes(data)
        return self._call(fetch)

    def upload_image(self, data: bytes) -> str:
        """A temporary media id (valid 3 days) for sending the image in a customer-service message."""
        res = self._call(lambda: self._client.media.upload("image", ("photo.jpg", io.BytesIO(data), "image/jpeg")))
        return str(res["media_id"])

    def send_image(self, openid: str, media_id: str) -> None:
        self._call(lambda: self._client.message.send_image(openid, media_id))

    def create_menu(self, menu: dict[str, Any]) -> None:
        self._call(lambda: self._client.menu.create(menu))

    def create_scene_qr(self, scene: str) -> str:
        """A permanent QR code that follows the account with ``scene`` (the subscribe event's qrscene_…): the
        URL its image encodes."""
        res = self._call(lambda: self._client.qrcode.create(
            {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}))
        return str(res["url"])


class ConsoleWeChatAPI:
    """The embedded default: prints what would be sent, so `alleybot chat` shows pushed messages too.

    Media ids of the form ``local:/path/to/file`` (what the simulator's /photo sends) are read from disk.
    """

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out
        self.sent: list[tuple[str, str, Any]] = []
        self._uploads = 0

    def _print(self, line: str) -> None:
        # stderr: the console fake must never mix into a command's --json document on stdout.
        print(line, file=self._out or sys.stderr, flush=True)

    def send_text(self, openid: str, text: str) -> None:
        self.sent.append(("custom", openid, text))
        self._print(f"[客服消息 → {openid}] {text}")

    def send_template(self, openid: str, template_id: str, data: dict[str, Any],
                      url: str | None = None) -> int:
        self.sent.append(("template", openid, data))
        self._print(f"[模板消息 {template_id} → {openid}] {json.dumps(data, ensure_ascii=False)}")
        return int(time.time() * 1000)

    def download_media(self, media_id: str) -> bytes:
        if media_id.startswith("local:"):
            path = Path(media_id[len("local:"):])
            if path.is_file():
                return path.read_bytes()
        raise WeChatAPIError(40007, f"invalid media_id {media_id}")

    def upload_image(self, data: bytes) -> str:
        self._uploads += 1
        return f"console-upload-{self._uploads}"

    def send_image(self, openid: str, media_id: str) -> None:
        self.sent.append(("image", openid, media_id))
        self._print(f"[客服图片 → {openid}] {media_id}")

    def create_menu(self, menu: dict[str, Any]) -> None:
        self.sent.append(("menu", "", menu))
        self._print(f"[菜单] {json.dumps(menu, ensure_ascii=False)}")

    def create_scene_qr(self, scene: str) -> str:
        # Without an account there is no real code: say so rather than print one that goes nowhere.
        raise WeChatAPIError(-1, "no WeChat account configured: scene QR codes need WECHAT_APPID and WECHAT_SECRET")
