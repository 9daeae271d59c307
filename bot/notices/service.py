"""Notices: messages the bot owes a user outside a reply (issue progress, reminders, steward decisions).

The outbox. A notice row is written ``pending`` in the same transaction as the change that owes it (or, for
issue events, when the event is expanded into its recipients: the event row itself is written with the change
and stays ``notified = false`` until then). Delivery claims a row (``pending`` → ``sending``, committed before
WeChat is called), sends, and records the outcome: exactly one push per notice.

- A transient failure (network, WeChat's rate limits) goes back to ``pending`` with a later ``next_attempt_at``;
  after the last attempt, and for a permanent failure, the notice is held and shown in front of the user's next
  reply ("您有1条未读消息").
- Outside the 48-hour window: a template if one is configured, else held.
- The rule for an uncertain send: a row still ``sending`` after STALE_SENDING belongs to a worker that died
  between claiming it and hearing WeChat's answer. It is never pushed again (WeChat has no idempotency key for
  customer-service messages, so a second push could be a duplicate); it is marked ``uncertain`` and held, so
  the user reads it at their next message at worst twice (pushed and shown), never zero times.
- The sweep (every minute on the workers, and at worker start) expands events nobody expanded, retries what is
  due and settles stale claims.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.db import UnitOfWork
from bot.core.models import Notice, User
from bot.notices import texts
from bot.wechat.messenger import Messenger

log = logging.getLogger(__name__)

RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10))
TRANSIENT = frozenset({-1, 45009, 45011})  # network or timeout; API minute quota; frequency limit
STALE_SENDING = timedelta(seconds=60)  # far beyond one send (5 s timeout, one token refresh)
HELD_STATES = ("held", "uncertain")


@dataclass(frozen=True)
class Sent:
    status: str  # sent | template | held | skipped | retry | duplicate (claimed before: nothing sent)
    errcode: int | None = None


def owe(session: Session, user_id: int, key: str, text: str) -> int | None:
    """Write a notice the current change owes, in the change's own transaction; None if the key exists."""
    if session.scalar(select(Notice.id).where(Notice.key == key)) is not None:
        return None
    notice = Notice(key=key, user_id=user_id, text=text, status="pending", attempts=0)
    session.add(notice)
    session.flush()
    return notice.id


def owe_openid(session: Session, openid: str, key: str, text: str) -> int | None:
    user_id = session.scalar(select(User.id).where(User.openid == openid))
    return owe(session, user_id, key, text) if user_id is not None else None


class Notices:
    def __init__(self, uow: Callable[[], UnitOfWork], messenger: Messenger,
                 enqueue: Callable[..., None] | None = None) -> None:
        self._uow = uow
        self._messenger = messenger
        self._enqueue = enqueue  # retries are queued for their time; without a queue the sweep finds them

    def send(self, openid: str, key: str, text: str) -> Sent:
        """Owe ``text`` once per ``key`` (own transaction) and deliver it now."""
        try:
            with self._uow() as uow:
                notice_id = owe_openid(uow.session, openid, key, text)
        except IntegrityError:  # a concurrent writer owed the same key
            notice_id = None
        if notice_id is None:
            return Sent("duplicate")
        return self.deliver(notice_id)

    def deliver_all(self, notice_ids: list[int]) -> dict[int, Sent]:
        return {notice_id: self.deliver(notice_id) for notice_id in notice_ids}

    def deliver(self, notice_id: int, now: datetime | None = None) -> Sent:
        """Claim one owed notice, push it, record the outcome; a notice not owed (now) is left alone."""
        now = now or datetime.now(UTC)
        with self._uow() as uow:
            s = uow.session
            notice = s.scalar(select(Notice).where(
                Notice.id == notice_id, Notice.status == "pending",
                or_(Notice.next_attempt_at.is_(None), Notice.next_attempt_at <= now))
                .with_for_update(skip_locked=True))
            if notice is None:
                return Sent("duplicate")
            user = s.get(User, notice.user_id)
            assert user is not None
            notice.status, notice.attempts = "sending", notice.attempts + 1
            openid, text, attempts, key = user.openid, notice.text, notice.attempts, notice.key
        delivery = self._messenger.deliver_text(openid, text)
        retry_at: datetime | None = None
        with self._uow() as uow:
            s = uow.session
            notice = s.get(Notice, notice_id)
            assert notice is not None
            notice.errcode = delivery.errcode
            if delivery.status in ("sent", "template", "skipped"):
                status = notice.status = delivery.status
            elif delivery.errcode in TRANSIENT and attempts <= len(RETRY_DELAYS):
                retry_at = now + RETRY_DELAYS[attempts - 1]
                notice.status, notice.next_attempt_at, status = "pending", retry_at, "retry"
            else:
                status = notice.status = "held"
                s.execute(update(User).where(User.id == notice.user_id).values(held_notices=User.held_notices + 1))
        if retry_at is not None and self._enqueue is not None:
            self._enqueue("deliver_notice", at=retry_at, notice_id=notice_id, due=retry_at.isoformat())
        log.info("notice %s to %s: %s %s", key, openid, status, delivery.reason)
        return Sent(status, delivery.errcode)

    def hold(self, openid: str, key: str, text: str) -> bool:
        """Keep ``text`` for the user's next message without trying WeChat (the caller already did)."""
        try:
            with self._uow() as uow:
                s = uow.session
                user = s.scalar(select(User).where(User.openid == openid))
                if user is None or s.scalar(select(Notice.id).where(Notice.key == key)) is not None:
                    return False
                s.add(Notice(key=key, user_id=user.id, text=text, status="held", attempts=0))
                user.held_notices = (user.held_notices or 0) + 1
        except IntegrityError:
            return False
        return True

    def send_image(self, openid: str, key: str, data: bytes) -> Sent:
        """An image once per ``key``, only inside the 48-hour window. At most once and never held: the text
        notice before it says everything, the photo is a courtesy (templates cannot carry one)."""
        try:
            with self._uow() as uow:
                s = uow.session
                user = s.scalar(select(User).where(User.openid == openid))
                if user is None or s.scalar(select(Notice.id).where(Notice.key == key)) is not None:
                    return Sent("duplicate")
                # "image": claimed like a text, but never recovered (at most once, see the docstring).
                notice = Notice(key=key, user_id=user.id, text=texts.IMAGE_NOTICE, status="image", attempts=1)
                s.add(notice)
                s.flush()
                notice_id = notice.id
        except IntegrityError:
            return Sent("duplicate")
        delivery = self._messenger.deliver_image(openid, data)
        status = delivery.status if delivery.status in ("sent", "skipped") else "failed"
        with self._uow() as uow:
            row = uow.session.get(Notice, notice_id)
            assert row is not None
            row.status, row.errcode = status, delivery.errcode
        return Sent(status, delivery.errcode)

    def recover(self, now: datetime | None = None) -> list[int]:
        """Settle claims of dead workers (uncertain → held) and return the owed notices that are due."""
        now = now or datetime.now(UTC)
        with self._uow() as uow:
            s = uow.session
            stale = s.scalars(select(Notice).where(Notice.status == "sending",
                                                   Notice.updated_at < now - STALE_SENDING)
                              .with_for_update(skip_locked=True))
            for notice in stale:
                notice.status = "uncertain"
                s.execute(update(User).where(User.id == notice.user_id).values(held_notices=User.held_notices + 1))
                log.warning("notice %s: its worker died mid-send; held for the next message, not pushed again",
                            notice.key)
            due = s.scalars(select(Notice.id).where(
                Notice.status == "pending", or_(Notice.next_attempt_at.is_(None), Notice.next_attempt_at <= now))
                .order_by(Notice.id))
            return list(due)

    def take_held(self, user_id: int) -> list[str]:
        """The held notices of this user, oldest first, marked shown (they are about to be read)."""
        with self._uow() as uow:
            user = uow.session.get(User, user_id)
            if user is None:
                return []
            held = list(uow.session.scalars(select(Notice).where(Notice.user_id == user.id,
                                                                 Notice.status.in_(HELD_STATES))
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
