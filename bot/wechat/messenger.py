"""Pushing a text to a user outside the passive reply, within WeChat's rules (DESIGN §6, outbound).

Customer-service messages are allowed only within 48 h of the user's last message; outside it, or when
WeChat says so (45015) or the count is used up (45047), a template message is the fallback when one is
configured. Every path ends in a recorded result; nothing retries in a loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.core.clock import aware
from bot.core.db import UnitOfWork
from bot.core.models import User
from bot.wechat.api import WeChatAPI, WeChatAPIError

log = logging.getLogger(__name__)

SERVICE_WINDOW = timedelta(hours=48)
OUT_OF_WINDOW = (45015, 45047)


@dataclass(frozen=True)
class Delivery:
    status: str  # sent | template | skipped | failed
    errcode: int | None = None
    reason: str = ""
    msgid: int | None = None  # a template message's MsgID (TEMPLATESENDJOBFINISH reports on it later)


def in_window(last_message_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a user who last wrote at ``last_message_at`` may get a customer-service message now."""
    last_seen = aware(last_message_at)
    return last_seen is not None and (now or datetime.now(UTC)) - last_seen < SERVICE_WINDOW


class Messenger:
    def __init__(self, uow: Callable[[], UnitOfWork], api: WeChatAPI, template_id: str | None = None) -> None:
        self._uow = uow
        self._api = api
        self._template_id = template_id

    def _recipient(self, openid: str, now: datetime | None) -> tuple[bool, bool]:
        """Whether the user follows us, and whether they wrote within the 48-hour window."""
        with self._uow() as uow:
            user = uow.session.scalar(select(User).where(User.openid == openid))
            if user is None:
                return False, False
            return user.subscribed, in_window(user.last_message_at, now)

    def deliver_text(self, openid: str, text: str, now: datetime | None = None) -> Delivery:
        subscribed, window = self._recipient(openid, now)
        return self.deliver_text_known(openid, text, subscribed, window)

    def deliver_text_known(self, openid: str, text: str, subscribed: bool, in_window: bool) -> Delivery:
        """The same, for a caller that read the recipient already (a broadcast claims them with its rows)."""
        if not subscribed:
            return Delivery("skipped", reason="unsubscribed or unknown user")
        errcode: int | None = None
        if in_window:
            try:
                self._api.send_text(openid, text)
                return Delivery("sent")
            except WeChatAPIError as exc:
                if exc.errcode not in OUT_OF_WINDOW:
                    log.warning("customer-service message to %s failed: %s", openid, exc)
                    return Delivery("failed", exc.errcode, str(exc))
                errcode = exc.errcode
        return self._template(openid, text, errcode)

    def deliver_image(self, openid: str, data: bytes, now: datetime | None = None) -> Delivery:
        """An image by customer-service message; templates cannot carry one, so outside 48 h it is skipped."""
        subscribed, in_window = self._recipient(openid, now)
        if not subscribed or not in_window:
            return Delivery("skipped", reason="unsubscribed or outside the 48-hour window")
        try:
            self._api.send_image(openid, self._api.upload_image(data))
            return Delivery("sent")
        except WeChatAPIError as exc:
            log.warning("image to %s failed: %s", openid, exc)
            return Delivery("failed", exc.errcode, str(exc))

    def _template(self, openid: str, text: str, errcode: int | None) -> Delivery:
        if not self._template_id:
            return Delivery("failed", errcode, "outside the 48-hour window and no template configured")
        try:
            msgid = self._api.send_template(openid, self._template_id, {"content": {"value": text}})
            return Delivery("template", errcode, msgid=msgid)
        except WeChatAPIError as exc:
            log.warning("template message to %s failed: %s", openid, exc)
            return Delivery("failed", exc.errcode, str(exc))
