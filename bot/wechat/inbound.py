"""What a WeChat user sent, as a plain dataclass the router and handlers read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Inbound:
    openid: str
    account: str  # ToUserName: our official account's id, needed to address the passive reply
    kind: str  # text, image, voice, location, link, video, shortvideo, event (lower case)
    create_time: int
    msg_id: str | None = None
    text: str = ""  # Content for text, Recognition for voice
    media_id: str | None = None
    pic_url: str | None = None
    lat: float | None = None
    lng: float | None = None
    label: str | None = None
    event: str | None = None  # lower case: subscribe, unsubscribe, scan, click, location, view, …
    event_key: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def dedupe_key(self) -> str:
        """(FromUserName, MsgId) for messages; (FromUserName, CreateTime, Event, EventKey) for events."""
        if self.kind == "event" or not self.msg_id:
            return f"{self.openid}:{self.create_time}:{self.event or self.kind}:{self.event_key or ''}"
        return f"{self.openid}:{self.msg_id}"

    @property
    def type_label(self) -> str:
        return f"event:{self.event}" if self.kind == "event" else self.kind
