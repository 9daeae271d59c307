"""The inbox: every distinct WeChat delivery is recorded once, with what became of it.

A message's arrival is one bookkeeping transaction (log row, the user created if new, the 48-hour window
opened) and its outcome another; both use non-durable commits because they are bookkeeping (see
UnitOfWork). The unique key on the log row backs up the Redis dedupe: a delivery Redis forgot is still
recognised and not processed twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.accounts.service import AccountView, account_view, get_or_create_user
from bot.core.db import UowFactory
from bot.core.models import Alley, InboundMessage, User, utcnow


@dataclass(frozen=True)
class LogEntry:
    openid: str
    msg_key: str
    msg_type: str
    received_at: datetime
    outcome: str
    detail: str | None


class Inbox:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow
        self._alley_names: dict[int, str] = {}

    def arrive(self, openid: str, msg_key: str, msg_type: str) -> AccountView | None:
        """Record the delivery and return its sender; None when this key was recorded before.

        This runs for every message, so it is two single-statement round trips: the log row, then one
        UPDATE … RETURNING that opens the 48-hour window and reads the user. Only a new user needs more.
        """
        now = utcnow()
        with self._uow.autocommit() as conn:
            try:
                conn.execute(insert(InboundMessage).values(
                    openid=openid, msg_key=msg_key, msg_type=msg_type, outcome="processing", received_at=now))
            except IntegrityError:
                return None
            row = conn.execute(
                update(User).where(User.openid == openid).values(last_message_at=now, updated_at=now)
                .returning(User.id, User.role, User.home_alley_id, User.duty_alley_id, User.subscribed, User.blocked,
                           User.held_notices)).first()
            if row is not None:
                return AccountView(row.id, openid, row.role, self._alley_name(conn, row.home_alley_id),
                                   self._alley_name(conn, row.duty_alley_id), row.subscribed, now,
                                   bool(row.blocked), row.held_notices or 0)
        with self._uow() as uow:  # the first message of a new user
            user = get_or_create_user(uow.session, openid)
            user.last_message_at = now
            return account_view(user)

    def _alley_name(self, conn: Connection, alley_id: int | None) -> str | None:
        # Alleys change only through `alleybot seed`; an id not yet cached reloads the names once.
        if alley_id is None:
            return None
        if alley_id not in self._alley_names:
            self._alley_names = {row.id: row.name for row in conn.execute(select(Alley.id, Alley.name))}
        return self._alley_names.get(alley_id)

    def record(self, openid: str, msg_key: str, msg_type: str, outcome: str, detail: str | None = None) -> bool:
        """Record a delivery that is not processed (ignored, refused); False if the key was there already."""
        try:
            with self._uow.autocommit() as conn:
                conn.execute(insert(InboundMessage).values(openid=openid, msg_key=msg_key, msg_type=msg_type,
                                                           outcome=outcome, detail=detail, received_at=utcnow()))
        except IntegrityError:
            return False
        return True

    def settle(self, msg_key: str, outcome: str, detail: str | None = None) -> None:
        values: dict[str, str] = {"outcome": outcome}
        if detail is not None:
            values["detail"] = detail
        with self._uow.autocommit() as conn:
            conn.execute(update(InboundMessage).where(InboundMessage.msg_key == msg_key).values(**values))

    def entries(self, openid: str | None = None) -> list[LogEntry]:
        with self._uow() as uow:
            query = select(InboundMessage).order_by(InboundMessage.id)
            if openid is not None:
                query = query.where(InboundMessage.openid == openid)
            return [LogEntry(r.openid, r.msg_key, r.msg_type, r.received_at, r.outcome, r.detail)
                    for r in uow.session.scalars(query)]

    def prune(self, before: datetime, batch: int = 5000) -> int:
        """Delete log rows received before ``before``, a batch per transaction (on the received_at index), so a
        year of messages goes without one long lock; returns how many went."""
        removed = 0
        while True:
            with self._uow() as uow:
                oldest = select(InboundMessage.id).where(InboundMessage.received_at < before).limit(batch)
                ids = list(uow.session.scalars(oldest))
                if ids:
                    uow.session.execute(delete(InboundMessage).where(InboundMessage.id.in_(ids)))
            removed += len(ids)
            if len(ids) < batch:
                return removed
