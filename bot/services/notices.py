"""Notices: messages the bot owes a user outside a reply (issue progress, reminders), each sent at most once.

A notice is claimed by its key before it is sent, so a retried job or a second worker finds the claim and
sends nothing. What WeChat will not deliver now (outside the 48-hour window with no template, or an API
failure) is held and shown at the user's next message, so nothing owed is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.db import UnitOfWork
from bot.models import Notice, User
from bot.services.messaging import Messenger

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    status: str  # sent | template | held | skipped | failed | duplicate (claimed before: nothing sent)
    errcode: int | None = None


class Notices:
    def __init__(self, uow: Callable[[], UnitOfWork], messenger: Messenger) -> None:
        self._uow = uow
        self._messenger = messenger

    def _claim(self, openid: str, key: str, text: str) -> int | None:
        """Insert the notice as pending; None when it was claimed before or nobody has this openid."""
        try:
            with self._uow() as uow:
                user = uow.session.scalar(select(User).where(User.openid == openid))
                if user is None:
                    return None
                notice = Notice(key=key, user_id=user.id, text=text, status="pending")
                uow.session.add(notice)
                uow.session.flush()
                return notice.id
        except IntegrityError:
            return None

    def send(self, openid: str, key: str, text: str) -> Sent:
        """Deliver ``text`` once per ``key``: push it now if WeChat allows, else hold it for the next message."""
        notice_id = self._claim(openid, key, text)
        if notice_id is None:
            return Sent("duplicate")
        delivery = self._messenger.deliver_text(openid, text)
        status = {"sent": "sent", "template": "template", "skipped": "skipped"}.get(delivery.status, "held")
        with self._uow() as uow:
            notice = uow.session.get(Notice, notice_id)
            assert notice is not None
            notice.status, notice.errcode = status, delivery.errcode
            if status == "held":
                uow.session.execute(update(User).where(User.id == notice.user_id)
                                    .values(held_notices=User.held_notices + 1))
        log.info("notice %s to %s: %s %s", key, openid, status, delivery.reason)
        return Sent(status, delivery.errcode)

    def hold(self, openid: str, key: str, text: str) -> bool:
        """Keep ``text`` for the user's next message without trying WeChat (the caller already did)."""
        notice_id = self._claim(openid, key, text)
        if notice_id is None:
            return False
        with self._uow() as uow:
            notice = uow.session.get(Notice, notice_id)
            assert notice is not None
            notice.status = "held"
            uow.session.execute(update(User).where(User.id == notice.user_id)
                                .values(held_notices=User.held_notices + 1))
        return True

    def send_image(self, openid: str, key: str, data: bytes) -> Sent:
        """An image once per ``key``, only inside the 48-hour window (nothing is held: the text said it all)."""
        notice_id = self._claim(openid, key, "[照片]")
        if notice_id is None:
            return Sent("duplicate")
        delivery = self._messenger.deliver_image(openid, data)
        with self._uow() as uow:
            notice = uow.session.get(Notice, notice_id)
            assert notice is not None
            notice.status, notice.errcode = delivery.status, delivery.errcode
        return Sent(delivery.status, delivery.errcode)

    def take_held(self, openid: str) -> list[str]:
        """The held notices of this user, oldest first, marked shown (they are about to be read)."""
        with self._uow() as uow:
            user = uow.session.scalar(select(User).where(User.openid == openid))
            if user is None:
                return []
            held = list(uow.session.scalars(select(Notice).where(Notice.user_id == user.id, Notice.status == "held")
                                            .order_by(Notice.id).with_for_update()))
            for notice in held:
                notice.status = "shown"
            user.held_notices = 0
            return [n.text for n in held]

    def statuses(self, key_prefix: str) -> dict[str, str]:
        """Key → status for every notice whose key starts with ``key_prefix`` (tests and reports)."""
        with self._uow() as uow:
            rows = uow.session.execute(select(Notice.key, Notice.status).where(Notice.key.startswith(key_prefix)))
            return {k: s for k, s in rows}
