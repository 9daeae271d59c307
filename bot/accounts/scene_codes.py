"""The QR code that follows the account with an alley already chosen (the scene qrscene_<alley> that the bot
binds on subscribe): printed on the alley's 公示牌.

WeChat's permanent string-scene codes never expire, so each alley's is asked for once and kept in Redis; the
page renders the URL it encodes as an SVG (segno), so nothing is fetched from WeChat's image server.
"""

from __future__ import annotations

import logging

import redis
import segno

from bot.wechat.api import WeChatAPI, WeChatAPIError

log = logging.getLogger(__name__)
KEY = "alleybot:scene-qr:"


class SceneCodes:
    def __init__(self, client: redis.Redis, wechat: WeChatAPI) -> None:
        self._redis = client
        self._wechat = wechat

    def url(self, alley: str) -> str | None:
        """The URL the alley's code encodes; None when WeChat cannot make one now (no account, or down)."""
        cached = self._redis.get(KEY + alley)
        if cached:
            return cached.decode() if isinstance(cached, bytes) else str(cached)
        try:
            url = self._wechat.create_scene_qr(alley)
        except WeChatAPIError as exc:
            log.warning("no scene QR code for %s: %s", alley, exc)
            return None
        self._redis.set(KEY + alley, url)
        return url

    def svg(self, alley: str, scale: int = 6) -> str | None:
        """The code as inline SVG markup (no script, no style element), or None."""
        url = self.url(alley)
        return segno.make(url, error="m").svg_inline(scale=scale, title=f"{alley} 二维码") if url else None
