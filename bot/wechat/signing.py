"""Build WeChat callback requests the way WeChat's servers do: XML bodies, signed query strings."""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass

from wechatpy.crypto import WeChatCrypto

from bot.wechat.protocol import cdata, parse_xml, plain_signature

_msg_ids = itertools.count(int(time.time() * 1000) * 1000 + random.randrange(1000))


def next_msg_id() -> int:
    return next(_msg_ids)


def message_xml(openid: str, msg_type: str, account: str = "gh_alleybot", create_time: int | None = None,
                msg_id: int | None = None, **fields: object) -> str:
    """A callback body; ``fields`` become elements (Content=…, Event=…, Location_X=…)."""
    parts = [f"<ToUserName>{cdata(account)}</ToUserName>",
             f"<FromUserName>{cdata(openid)}</FromUserName>",
             f"<CreateTime>{create_time or int(time.time())}</CreateTime>",
             f"<MsgType>{cdata(msg_type)}</MsgType>"]
    for name, value in fields.items():
        parts.append(f"<{name}>{value}</{name}>" if isinstance(value, int | float)
                     else f"<{name}>{cdata(str(value))}</{name}>")
    if msg_type != "event":
        parts.append(f"<MsgId>{msg_id if msg_id is not None else next_msg_id()}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"


def text_xml(openid: str, content: str, **kw: object) -> str:
    return message_xml(openid, "text", Content=content, **kw)  # type: ignore[arg-type]


def event_xml(openid: str, event: str, key: str | None = None, **kw: object) -> str:
    fields: dict[str, object] = {"Event": event}
    if key is not None:
        fields["EventKey"] = key
    return message_xml(openid, "event", **fields, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SignedRequest:
    query: dict[str, str]
    body: bytes


class Signer:
    """Signs as WeChat does for one official account; with an AES key it encrypts (safe mode)."""

    def __init__(self, token: str, appid: str = "", aes_key: str | None = None) -> None:
        self.token, self.appid, self.aes_key = token, appid, aes_key

    def sign(self, xml: str, timestamp: str | None = None, nonce: str | None = None) -> SignedRequest:
        ts = timestamp or str(int(time.time()))
        nonce = nonce or str(random.randrange(10**8, 10**9))
        query = {"signature": plain_signature(self.token, ts, nonce), "timestamp": ts, "nonce": nonce,
                 "openid": "ignored-by-the-bot"}
        if not self.aes_key:
            return SignedRequest(query, xml.encode("utf-8"))
        crypto = WeChatCrypto(self.token, self.aes_key, self.appid)
        envelope = parse_xml(crypto.encrypt_message(xml, nonce, ts).encode())
        query |= {"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
        body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
        return SignedRequest(query, body.encode("utf-8"))

    def open_reply(self, body: bytes, query: dict[str, str]) -> str | None:
        """The text content of a reply, decrypting it in safe mode; None for ``success``."""
        if body in (b"success", b""):
            return None
        root = parse_xml(body)
        if "Encrypt" in root:
            assert self.aes_key
            crypto = WeChatCrypto(self.token, self.aes_key, self.appid)
            root = parse_xml(crypto.decrypt_message(body.decode(), root["MsgSignature"], root["TimeStamp"],
                                                    root["Nonce"]).encode())
        content = root.get("Content")
        return str(content) if content is not None else None


