"""Accounts: who a WeChat user is to us (role, home alley, subscription) and their privacy on leaving."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Insert, Row, Update, bindparam, insert, select, update
from sqlalchemy.orm import Session

from bot.accounts.alley_rows import AlleyRows
from bot.core.config import Alley as AlleyView
from bot.core.config import AppConfig
from bot.core.db import UnitOfWork, UowFactory
from bot.core.models import ROLES, Alley, InboundMessage, Notice, User


class AccountError(Exception):
    """A request the caller got wrong (unknown alley, unknown role); the message says which."""


@dataclass(frozen=True)
class AccountView:
    user_id: int  # what services take: the account is looked up once per message, by its openid, on arrival
    openid: str
    role: str
    home_alley: str | None
    duty_alley: str | None
    subscribed: bool
    last_message_at: datetime | None
    blocked: bool = False
    held_notices: int = 0


@dataclass(frozen=True)
class SeedResult:
    created: int
    updated: int


def account_view(user: User) -> AccountView:
    return AccountView(
        user_id=user.id,
        openid=user.openid,
        role=user.role,
        home_alley=user.home_alley.name if user.home_alley else None,
        duty_alley=user.duty_alley.name if user.duty_alley else None,
        subscribed=user.subscribed,
        last_message_at=user.last_message_at,
        blocked=bool(user.blocked),
        held_notices=user.held_notices or 0,
    )


def _alley_view(alley: Alley | Row[Any]) -> AlleyView:
    return AlleyView(alley.name, tuple(alley.aliases), alley.district, alley.street_office, alley.chief_name,
                     (alley.center_lat, alley.center_lng), tuple((float(p[0]), float(p[1])) for p in alley.polyline))


def get_or_create_user(session: Session, openid: str) -> User:
    user = session.scalar(select(User).where(User.openid == openid))
    if user is None:
        user = User(openid=openid, role="resident", subscribed=True, anonymised=False, blocked=False,
                    held_notices=0)
        session.add(user)
        session.flush()
    return user


# Following and binding an alley come with many messages (every new follower, every 我住…): each is one plain
# statement with the alley known in memory, not the ORM's unit of work, which cost them 2-3 ms of CPU each.
_ACCOUNT_COLUMNS = (User.id, User.role, User.home_alley_id, User.duty_alley_id, User.subscribed,
                    User.last_message_at, User.blocked, User.held_notices)


_NEW_USER = {"role": "resident", "subscribed": True, "anonymised": False, "blocked": False, "held_notices": 0}


@functools.cache
def _user_writes(columns: frozenset[str]) -> tuple[Update, Insert]:
    """The update and the insert that set these columns, built once: building them cost as much CPU as
    running them. Values come as bound parameters named after the columns (the openid as ``for_openid``)."""
    update_stmt = update(User).where(User.openid == bindparam("for_openid")) \
        .values({c: bindparam(c) for c in columns}).returning(*_ACCOUNT_COLUMNS)
    insert_stmt = insert(User).values({"openid": bindparam("for_openid"), **_NEW_USER,
                                       **{c: bindparam(c) for c in columns}}).returning(*_ACCOUNT_COLUMNS)
    return update_stmt, insert_stmt


def _write_user(conn: Connection, openid: str, values: dict[str, Any]) -> Any:
    """Set these columns of the user's row, creating it (a resident) if this openid is new; the row of
    _ACCOUNT_COLUMNS."""
    update_stmt, insert_stmt = _user_writes(frozenset(values))
    params = {"for_openid": openid, **values}
    row = conn.execute(update_stmt, params).first()
    if row is None:
        return conn.execute(insert_stmt, params).one()
    return row


def _account_of(alleys: AlleyRows, openid: str, user: Any) -> AccountView:
    return AccountView(user_id=user.id, openid=openid, role=user.role, home_alley=alleys.name_of(user.home_alley_id),
                       duty_alley=alleys.name_of(user.duty_alley_id), subscribed=user.subscribed,
                       last_message_at=user.last_message_at, blocked=bool(user.blocked),
                       held_notices=user.held_notices or 0)


class Accounts:
    def __init__(self, uow: UowFactory, alleys: AlleyRows | None = None) -> None:
        self._uow = uow
        self._alleys = alleys or AlleyRows(uow)

    @staticmethod
    def _alley(uow: UnitOfWork, name: str) -> Alley:
        alley = uow.session.scalar(select(Alley).where(Alley.name == name))
        if alley is None:
            raise AccountError(f"unknown alley: {name} (run `alleybot seed` after editing config/alleys.yml)")
        return alley

    def seen(self, openid: str, now: datetime | None = None) -> AccountView:
        """Record that the user just wrote to us: it opens WeChat's 48-hour customer-service window."""
        with self._uow() as uow:
            user = get_or_create_user(uow.session, openid)
            user.last_message_at = now or datetime.now(UTC)
            return account_view(user)

    def ensure(self, openid: str) -> AccountView:
        """The user with this openid, created as a resident if new; unlike ``seen`` it opens no 48-hour window
        (an administrator acting for someone who has not written yet)."""
        with self._uow() as uow:
            return account_view(get_or_create_user(uow.session, openid))

    def by_id(self, user_id: int) -> AccountView | None:
        with self._uow() as uow:
            user = uow.session.get(User, user_id)
            return account_view(user) if user else None

    def get(self, openid: str) -> AccountView | None:
        with self._uow() as uow:
            user = uow.session.scalar(select(User).where(User.openid == openid))
            return account_view(user) if user else None

    def subscribe(self, openid: str, scene_alley: str | None) -> tuple[AccountView, AlleyView | None]:
        """Start (or restart) following; a QR code of an alley binds the user to it."""
        with self._uow.one_statement() as conn:  # _write_user: one statement (two for a new user)
            # An unknown scene is a stale QR code: welcome without binding.
            alley = self._alleys.by_name(scene_alley) if scene_alley else None
            values: dict[str, Any] = {"subscribed": True, "unsubscribed_at": None}
            if alley is not None:
                values["home_alley_id"] = alley.id
            user = _write_user(conn, openid, values)
            return _account_of(self._alleys, openid, user), _alley_view(alley) if alley is not None else None

    def unsubscribe(self, openid: str) -> None:
        """Stop sending and anonymise: the row stays (later records point at it) but no longer names anyone."""
        with self._uow() as uow:
            user = uow.session.scalar(select(User).where(User.openid == openid))
            if user is None:
                return
            anon = f"anon-{uuid.uuid4().hex[:20]}"
            user.openid = anon
            user.subscribed, user.anonymised = False, True
            user.unsubscribed_at = datetime.now(UTC)
            user.display_name = user.phone = None
            user.home_alley = None
            user.last_message_at = None
            user.held_notices = 0
            # Messages still owed to them would name their reports: never show them to anyone.
            uow.session.execute(update(Notice).where(Notice.user_id == user.id, Notice.status.in_(("held", "pending")))
                                .values(status="skipped", text=""))
            uow.session.execute(update(InboundMessage).where(InboundMessage.openid == openid).values(openid=anon))

    def bind_alley(self, openid: str, alley_name: str) -> tuple[AccountView, AlleyView]:
        """Make the alley the user's home alley (a user not yet known is created)."""
        with self._uow.one_statement() as conn:  # _write_user: one statement (two for a new user)
            alley = self._alleys.by_name(alley_name)
            if alley is None:
                raise AccountError(f"unknown alley: {alley_name} (run `alleybot seed` after editing config/alleys.yml)")
            user = _write_user(conn, openid, {"home_alley_id": alley.id})
            return _account_of(self._alleys, openid, user), _alley_view(alley)

    def grant_role(self, openid: str, role: str, alley_name: str | None) -> AccountView:
        if role not in ROLES:
            raise AccountError(f"unknown role {role}; use one of {', '.join(ROLES)}")
        with self._uow() as uow:
            user = get_or_create_user(uow.session, openid)
            user.role = role
            user.duty_alley = self._alley(uow, alley_name) if alley_name else None
            return account_view(user)

    def block(self, openid: str, blocked: bool = True) -> AccountView:
        """Stop (or allow again) a user's reports: staff use it against abuse; they still get answers."""
        with self._uow() as uow:
            user = get_or_create_user(uow.session, openid)  # blocking ahead of a first message works too
            user.blocked = blocked
            return account_view(user)

    def alleys(self) -> list[AlleyView]:
        with self._uow() as uow:
            return [_alley_view(a) for a in uow.session.scalars(select(Alley).order_by(Alley.id))]

    def seed_alleys(self, config: AppConfig) -> SeedResult:
        """Load config/alleys.yml into the database; running it twice changes nothing the second time."""
        created = updated = 0
        with self._uow() as uow:
            existing = {a.name: a for a in uow.session.scalars(select(Alley))}
            for spec in config.alleys:
                values = dict(
                    aliases=list(spec.aliases), district=spec.district, street_office=spec.street_office,
                    chief_name=spec.chief, center_lat=spec.center[0], center_lng=spec.center[1],
                    polyline=[list(p) for p in spec.polyline],
                )
                row = existing.get(spec.name)
                if row is None:
                    uow.session.add(Alley(name=spec.name, **values))
                    created += 1
                elif any(getattr(row, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(row, k, v)
                    updated += 1
        return SeedResult(created, updated)
