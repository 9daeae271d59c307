"""The official-account callback protocol: signatures, safe-mode crypto, XML in and out (DESIGN §6).

wechatpy does the cryptography and signature maths; this module adds what a public endpoint needs around
it: refusing DOCTYPE/ENTITY before any parser sees the bytes, a previous AES key as fallback, and errors
that map to 400/403 instead of exceptions.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from typing import Any

from wechatpy.crypto import WeChatCrypto, _get_signature
from wechatpy.utils import WeChatSigner

from bot.wechat.inbound import Inbound

_DANGEROUS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class ProtocolError(Exception):
    """A request that must be refused; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def plain_signature(token: str, timestamp: str, nonce: str) -> str:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return str(signer.signature)


def check_plain_signature(token: str, signature: str | None, timestamp: str | None, nonce: str | None) -> None:
    if not (signature and timestamp and nonce):
        raise ProtocolError(403, "missing signature parameters")
    if plain_signature(token, timestamp, nonce) != signature:
        raise ProtocolError(403, "bad signature")


def parse_xml(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise ProtocolError(400, "empty body")
    if _DANGEROUS.search(body):
        raise ProtocolError(400, "DOCTYPE/ENTITY refused")
    try:
        # ElementTree's C parser (expat, as before): a third of xmltodict's time on every message. No entity can
        # be declared: a DOCTYPE was refused above.
        element = ElementTree.fromstring(body)
    except Exception as exc:  # expat raises several types; all mean the same to the sender
        raise ProtocolError(400, f"malformed XML: {exc}") from exc
    root = _value(element) if element.tag == "xml" else None
    if not isinstance(root, dict):
        raise ProtocolError(400, "root element is not <xml>")
    return root


def _value(element: ElementTree.Element) -> Any:
    """An element as WeChat's fields read: its trimmed text (None when empty), or a dict of its children (a
    child repeated becomes a list), as SendPicsInfo and ScanCodeInfo nest them. Attributes are not used."""
    children = list(element)
    if not children:
        return (element.text.strip() or None) if element.text else None
    found: dict[str, Any] = {}
    for child in children:
        value = _value(child)
        if child.tag not in found:
            found[child.tag] = value
        elif isinstance(found[child.tag], list):
            found[child.tag].append(value)
        else:
            found[child.tag] = [found[child.tag], value]
    return found


@dataclass(frozen=True)
class Decrypted:
    xml: bytes
    key: str  # the EncodingAESKey that opened it; the reply is encrypted with the same one


class SafeModeCrypto:
    """Safe/compatible mode with key rotation: WeChat may still use the previous key for a while."""

    def __init__(self, token: str, appid: str, keys: list[str]) -> None:
        self.token = token
        self.appid = appid
        self.keys = [k for k in keys if k]

    def decrypt(self, body: bytes, msg_signature: str | None, timestamp: str | None, nonce: str | None
                ) -> Decrypted:
        if not self.keys:
            raise ProtocolError(400, "encrypted message but no WECHAT_AES_KEY configured")
        if not (msg_signature and timestamp and nonce):
            raise ProtocolError(403, "missing msg_signature")
        encrypt = parse_xml(body).get("Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise ProtocolError(400, "no Encrypt element")
        if _get_signature(self.token, timestamp, nonce, encrypt) != msg_signature:
            raise ProtocolError(403, "bad msg_signature")
        try:
            base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProtocolError(400, "Encrypt is not base64") from exc
        for key in self.keys:
            try:
                plain = WeChatCrypto(self.token, key, self.appid).decrypt_message(
                    {"Encrypt": encrypt}, msg_signature, timestamp, nonce)
            except Exception:  # wrong key or wrong appid: try the next key, refuse after the last
                continue
            return Decrypted(plain.encode("utf-8") if isinstance(plain, str) else plain, key)
        raise ProtocolError(403, "cannot decrypt with any configured key (wrong appid or key)")

    def encrypt(self, xml: str, key: str, nonce: str, timestamp: str | None = None) -> str:
        return str(WeChatCrypto(self.token, key, self.appid).encrypt_message(xml, nonce, timestamp))


FRESH_SECONDS = 300  # a callback whose timestamp is further than this from now is refused (DESIGN §6)


def check_fresh(timestamp: str | None, now: float) -> None:
    """A signed URL from a log must not be replayable later: the signed timestamp must be about now."""
    try:
        sent = int(timestamp or "")
    except ValueError as exc:
        raise ProtocolError(403, "timestamp missing or not a number") from exc
    if abs(now - sent) > FRESH_SECONDS:
        raise ProtocolError(403, f"timestamp {sent} is {int(now - sent)} s from now")


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _coordinates(lat: float | None, lng: float | None) -> tuple[float | None, float | None]:
    """A usable position or none: NaN, infinities, out-of-range values and (0, 0) (a phone without a fix
    sends it) say nothing about where the user is, and must not become "near 二龙路"."""
    if lat is None or lng is None or not (math.isfinite(lat) and math.isfinite(lng)):
        return None, None
    if abs(lat) > 90 or abs(lng) > 180 or (abs(lat) < 1e-6 and abs(lng) < 1e-6):
        return None, None
    return lat, lng


# The longest values WeChat sends in these fields (openids are 28 characters, event types up to ~40): a longer
# one is not from WeChat and is refused whole rather than cut or overflowing a column.
FIELD_LIMITS = {"FromUserName": 64, "ToUserName": 64, "MsgType": 32, "Event": 64, "MsgId": 64, "MediaId": 200}


def to_inbound(root: dict[str, Any]) -> Inbound:
    openid, kind = root.get("FromUserName"), root.get("MsgType")
    if not isinstance(openid, str) or not openid or not isinstance(kind, str):
        raise ProtocolError(400, "FromUserName or MsgType missing")
    for name, limit in FIELD_LIMITS.items():
        value = root.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise ProtocolError(400, f"{name} is not a string of at most {limit} characters")
    try:
        create_time = int(root.get("CreateTime") or 0)
    except (TypeError, ValueError) as exc:
        raise ProtocolError(400, "bad CreateTime") from exc
    kind = kind.lower()
    text = root.get("Content") if kind == "text" else root.get("Recognition") if kind == "voice" else ""
    event = root.get("Event")
    lat, lng = _coordinates(_float(root.get("Location_X") or root.get("Latitude")),
                            _float(root.get("Location_Y") or root.get("Longitude")))
    return Inbound(
        openid=openid,
        account=str(root.get("ToUserName") or ""),
        kind=kind,
        create_time=create_time,
        msg_id=str(root["MsgId"]) if root.get("MsgId") else (str(root["MsgID"]) if root.get("MsgID") else None),
        text=str(text or "").strip(),
        media_id=root.get("MediaId"),
        pic_url=root.get("PicUrl"),
        lat=lat,
        lng=lng,
        label=root.get("Label"),
        event=event.lower() if isinstance(event, str) else None,
        event_key=str(root["EventKey"]) if root.get("EventKey") is not None else None,
        raw=root,
    )


# Characters XML 1.0 cannot carry at all (even inside CDATA): dropped from replies rather than breaking them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cdata(text: str) -> str:
    """Any text as CDATA: "]]>" inside it is split across two sections, so the XML stays well-formed."""
    return "<![CDATA[" + _XML_INVALID.sub("", text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_text_reply(inbound: Inbound, text: str, now: float | None = None) -> str:
    """The one renderer of passive replies: every reply the webhook sends goes through it."""
    created = int(time.time() if now is None else now)
    return ("<xml>"
            f"<ToUserName>{cdata(inbound.openid)}</ToUserName>"
            f"<FromUserName>{cdata(inbound.account)}</FromUserName>"
            f"<CreateTime>{created}</CreateTime>"
            "<MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(text)}</Content>"
            "</xml>")
