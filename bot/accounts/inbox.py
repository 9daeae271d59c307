"""The inbox: every distinct WeChat delivery is recorded once, with what became of it.

A message's arrival is one bookkeeping transaction (log row, the 48-hour window opened, the sender read, the
outcome of an earlier message written); a new user needs a second. Commits are non-durable because this is
bookkeeping (see UnitOfWork). The unique key on the log row backs up the Redis dedupe: a delivery Redis forgot
is still recognised and not processed twice. An ordinary outcome is held in memory until the next arrival (or
a second); if the process dies first, its rows stay "processing": what became of them is not known.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.accounts.alley_rows import AlleyRows
from bot.accounts.service import AccountView, account_view, get_or_create_user
from bot.core.db import UowFactory
from bot.core.models import InboundMessage, User, utcnow

log = logging.getLogger(__name__)


class _Arrival(NamedTuple):
    """The SQLite arrival's answer, shaped like the PostgreSQL statement's row."""

    arrived: int
    id: int | None
    role: str = ""
    home_alley_id: int | None = None
    duty_alley_id: int | None = None
    subscribed: bool = True
    blocked: bool = False
    held_notices: int = 0


@dataclass(frozen=True)
class LogEntry:
    openid: str
    msg_key: str
    msg_type: str
    received_at: datetime
    outcome: str
    detail: str | None


# WeChat's 48-hour window is counted from a user's last message. Writing that time on every message rewrote the
# user's row (an indexed column: never a HOT update) several times a minute in a conversation; the row bloated
# and the arrival slowed as it did (PostgreSQL's CPU per arrival rose from ~0.4 to ~1.8 ms within 9,000
# messages of 500 users). It is written when it is older than this: the window may be taken to close this much
# early, never late.
LAST_SEEN_PRECISION = timedelta(seconds=60)

# PostgreSQL: the outcome of an earlier message, this message's log row and its sender, in one statement, sent
# through the driver (UowFactory.bookkeeping_row), hence psycopg's placeholders.
#
# One outcome per arrival, found by equality on the log's unique key. The statement is prepared, and
# PostgreSQL keeps the plan it chose while the log was small: for `msg_key = ANY(array)` that was a sequential
# scan (the planner takes an array for ten keys), and an arrival's cost then grew with the log until the next
# ANALYZE: 0.6 → 2.7 ms of PostgreSQL's CPU within 20,000 messages of a new database (docs/benchmarks.md).
# Equality on a unique key is an index scan at any size. A sync worker holds one outcome at each arrival (its
# previous message's); any more wait for the next arrival or the writer thread.
_ARRIVE_PG = """
WITH settled AS (
    UPDATE inbound_messages SET outcome = %(outcome)s, detail = %(detail)s
    WHERE msg_key = %(settle_key)s AND outcome = 'processing'
    RETURNING 1
), arrived AS (
    INSERT INTO inbound_messages (openid, msg_key, msg_type, outcome, received_at)
    VALUES (%(openid)s, %(msg_key)s, %(msg_type)s, 'processing', %(now)s)
    ON CONFLICT (msg_key) DO NOTHING
    RETURNING id
), seen AS (
    UPDATE users SET last_message_at = %(now)s, updated_at = %(now)s
    WHERE openid = %(openid)s AND EXISTS (SELECT 1 FROM arrived)
      AND (last_message_at IS NULL OR last_message_at < %(seen_before)s)
    RETURNING 1
), sender AS (
    SELECT id, role, home_alley_id, duty_alley_id, subscribed, blocked, held_notices FROM users
    WHERE openid = %(openid)s AND EXISTS (SELECT 1 FROM arrived)
)
SELECT (SELECT count(*) FROM arrived) AS arrived, sender.id, sender.role, sender.home_alley_id,
       sender.duty_alley_id, sender.subscribed, sender.blocked, sender.held_notices
FROM (SELECT 1) AS one LEFT JOIN sender ON true
"""
# (settled and seen need not be read: PostgreSQL runs every data-modifying WITH part to completion.)

# Outcomes not yet written, (msg_key, outcome, detail), per database: a process has one in production, but an
# inbox must never take outcomes it would write to another (a test's runtime beside an earlier one's, whose
# writer thread was still awake, lost an outcome that way).
Held = list[tuple[str, str, str | None]]
_held: dict[str, Held] = {}
_held_lock = threading.Lock()
_flushers: dict[str, threading.Thread] = {}

FLUSH_SECONDS = 1.0  # an idle process writes the outcomes it holds after this long
IDLE_ROUNDS = 10  # the writer thread stops after this many rounds with nothing to write


class Inbox:
    """Arrival is the one database transaction of a message that changes nothing else: the log row, the
    48-hour window, the sender read back, and the outcome of a message before it (kept in memory until then,
    or for at most FLUSH_SECONDS). A failure or a late reply is written at once."""

    def __init__(self, uow: UowFactory, alleys: AlleyRows | None = None) -> None:
        self._uow = uow
        self._database = uow.database
        self._alleys = alleys or AlleyRows(uow)

    def arrive(self, openid: str, msg_key: str, msg_type: str) -> AccountView | None:
        """Record the delivery and return its sender; None when this key was recorded before."""
        now = utcnow()
        held = self._take_held(1)
        settle_key, outcome, detail = held[0] if held else (None, None, None)
        account: AccountView | None = None
        try:
            if self._uow.dialect == "postgresql":
                row: Any = _Arrival(*self._uow.bookkeeping_row(_ARRIVE_PG, {
                    "settle_key": settle_key, "outcome": outcome, "detail": detail, "openid": openid,
                    "msg_key": msg_key,
                    "msg_type": msg_type, "now": now, "seen_before": now - LAST_SEEN_PRECISION}))
                account = self._account(openid, row, now)
            else:
                with self._uow.transaction() as conn:
                    row = self._arrive_one_transaction(conn, held, openid, msg_key, msg_type, now)
                    account = self._account(openid, row, now)
            held = []
        finally:
            if held:  # not written: they go with the next arrival
                _give_back(self._database, held)
        if not row.arrived:
            return None
        if account is not None:
            return account
        with self._uow() as uow:  # the first message of a new user
            user = get_or_create_user(uow.session, openid)
            user.last_message_at = now
            return account_view(user)

    def _account(self, openid: str, row: Any, now: datetime) -> AccountView | None:
        if not row.arrived or row.id is None:
            return None
        return AccountView(row.id, openid, row.role, self._alleys.name_of(row.home_alley_id),
                           self._alleys.name_of(row.duty_alley_id), row.subscribed, now, bool(row.blocked),
                           row.held_notices or 0)

    @staticmethod
    def _arrive_one_transaction(conn: Connection, held: list[tuple[str, str, str | None]], openid: str,
                                msg_key: str, msg_type: str, now: datetime) -> _Arrival:
        """The same as the PostgreSQL statement, as statements of one transaction (SQLite)."""
        for key, outcome, detail in held:
            conn.execute(update(InboundMessage).where(InboundMessage.msg_key == key,
                                                      InboundMessage.outcome == "processing")
                         .values(outcome=outcome, detail=detail))
        try:  # a constraint failure aborts the statement only: the transaction (and the outcomes) go on
            conn.execute(insert(InboundMessage).values(openid=openid, msg_key=msg_key, msg_type=msg_type,
                                                       outcome="processing", received_at=now))
        except IntegrityError:
            return _Arrival(0, None)
        conn.execute(update(User).where(User.openid == openid, or_(User.last_message_at.is_(None),
                                                                  User.last_message_at < now - LAST_SEEN_PRECISION))
                     .values(last_message_at=now, updated_at=now))
        found = conn.execute(select(User.id, User.role, User.home_alley_id, User.duty_alley_id, User.subscribed,
                                    User.blocked, User.held_notices).where(User.openid == openid)).first()
        return _Arrival(1, *found) if found is not None else _Arrival(1, None)

    def settle_later(self, msg_key: str, outcome: str, detail: str | None = None) -> None:
        """Keep an ordinary outcome ("handled") for the next arrival to write; an outcome written at once
        since (failed, late) is never overwritten by it."""
        with _held_lock:
            _held.setdefault(self._database, []).append((msg_key, outcome, detail))
            # One writer thread per database while outcomes come (a thread does not survive gunicorn's fork).
            flusher = _flushers.get(self._database)
            if flusher is None or not flusher.is_alive():
                flusher = _flushers[self._database] = threading.Thread(
                    target=_flush_while_busy, args=(weakref.ref(self),), name="alleybot-inbox", daemon=True)
                flusher.start()

    def _take_held(self, most: int | None = None) -> Held:
        """The outcomes held (the oldest ``most`` of them), taken out to be written."""
        with _held_lock:
            held = _held.get(self._database, [])
            taken, rest = (held, []) if most is None else (held[:most], held[most:])
            if rest:
                _held[self._database] = rest
            else:
                _held.pop(self._database, None)
            return taken

    def flush(self) -> int:
        """Write the held outcomes now (one transaction); how many were held."""
        held = self._take_held()
        if not held:
            return 0
        try:
            with self._uow.transaction() as conn:
                conn.execute(update(InboundMessage).where(InboundMessage.msg_key == bindparam("key"),
                                                          InboundMessage.outcome == "processing")
                             .values(outcome=bindparam("new_outcome"), detail=bindparam("new_detail")),
                             [{"key": k, "new_outcome": o, "new_detail": d} for k, o, d in held])
        except Exception:
            _give_back(self._database, held)
            raise
        return len(held)

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
        self.flush()  # what is read is what happened, held outcomes included
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


def _flush_while_busy(ref: weakref.ref[Inbox]) -> None:
    """Write held outcomes every FLUSH_SECONDS; stop after IDLE_ROUNDS with nothing held, or when the inbox is
    gone (the thread must not keep a runtime, its engines and their connections, alive)."""
    idle = 0
    while idle < IDLE_ROUNDS:
        time.sleep(FLUSH_SECONDS)
        inbox = ref()
        if inbox is None:
            return
        try:
            idle = 0 if inbox.flush() else idle + 1
        except Exception:
            log.exception("could not write held message outcomes; the next arrival takes them")
        del inbox


def _give_back(database: str, held: Held) -> None:
    """Outcomes that could not be written go back in front, for the next arrival or flush."""
    with _held_lock:
        _held[database] = held + _held.get(database, [])
