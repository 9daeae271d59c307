"""``/wechat``: the callback URL configured in the official account's developer settings."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, current_app, request

from bot.dispatch import Bot, Replayed, RetryLater
from bot.wechat.protocol import (
    ProtocolError,
    SafeModeCrypto,
    check_fresh,
    check_plain_signature,
    parse_xml,
    render_text_reply,
    to_inbound,
)

log = logging.getLogger(__name__)
bp = Blueprint("wechat", __name__)


def _bot() -> Bot:
    bot: Bot = current_app.extensions["alleybot"]
    return bot


def _crypto(bot: Bot) -> SafeModeCrypto:
    s = bot.rt.settings
    return SafeModeCrypto(s.wechat_token, s.wechat_appid,
                          [k for k in (s.wechat_aes_key, s.wechat_aes_key_previous) if k])


def _refuse(exc: ProtocolError) -> Response:
    log.warning("refused %s %s from %s: %s", request.method, request.path, request.remote_addr, exc.reason)
    return Response("forbidden" if exc.status == 403 else "bad request", status=exc.status, mimetype="text/plain")


@bp.get("/wechat")
def verify() -> Response:
    """Answer WeChat's URL check: echo ``echostr`` when the signature is right."""
    a = request.args
    try:
        check_plain_signature(_bot().rt.settings.wechat_token, a.get("signature"), a.get("timestamp"),
                              a.get("nonce"))
    except ProtocolError as exc:
        return _refuse(exc)
    return Response(a.get("echostr", ""), mimetype="text/plain")


@bp.post("/wechat")
def receive() -> Response:
    """Verify, decrypt and parse one delivery, then answer with the bot's reply (encrypted if it was)."""
    bot, a = _bot(), request.args
    timestamp, nonce = a.get("timestamp"), a.get("nonce")
    key: str | None = None
    try:
        check_plain_signature(bot.rt.settings.wechat_token, a.get("signature"), timestamp, nonce)
        check_fresh(timestamp, current_app.config.get("WECHAT_CLOCK", time.time)())  # tests replay vectors
        raw = body = request.get_data(cache=False)
        encrypted = (a.get("encrypt_type") or "raw").lower() == "aes"
        if bot.rt.settings.wechat_safe_mode and not encrypted:
            raise ProtocolError(403, "plaintext callback while the account is in safe mode")
        if encrypted:
            decrypted = _crypto(bot).decrypt(body, a.get("msg_signature"), timestamp, nonce)
            body, key = decrypted.xml, decrypted.key
        msg = to_inbound(parse_xml(body))
        checked = bot.rt.replay_guard.nonce(nonce or "", timestamp or "", raw)  # checked in respond's round trip
    except ProtocolError as exc:
        return _refuse(exc)
    try:
        text = bot.respond(msg, checked)
    except Replayed as exc:
        return _refuse(ProtocolError(403, str(exc)))
    except RetryLater as exc:
        log.warning("not processed, WeChat will retry: %s", exc)
        return Response("retry later", status=503, mimetype="text/plain")
    if text is None:
        return Response("success", mimetype="text/plain")
    xml = render_text_reply(msg, text)
    if key is not None:
        xml = _crypto(bot).encrypt(xml, key, nonce or "")
    return Response(xml, mimetype="application/xml")
