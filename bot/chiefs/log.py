"""街巷长日志: a chief's patrols, one row per message that logs one (a WeChat retry logs nothing twice).

A location sent with the patrol, inside the alley (the stewards' geofence), marks it verified. What the chief
found can become tickets: that is the 随手拍 service's work, called by the chat with the chief as reporter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.accounts.authority import answers_for
from bot.chiefs.patrol_words import Found
from bot.core.clock import aware, beijing_day
from bot.core.config import AppConfig
from bot.core.db import UnitOfWork
from bot.core.geo import distance_to_polyline
from bot.core.models import ChiefPatrol, User

MAX_MINUTES = 12 * 60


class LogError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code  # not_chief | alley | minutes
        super().__init__(message)


@dataclass(frozen=True)
class PatrolEntry:
    id: int
    alley: str
    day: str
    minutes: int
    found: tuple[Found, ...]
    note: str
    verified: bool
    created_at: datetime
    chief: str = ""  # who walked (the console's list of an office)


def _entry(p: ChiefPatrol, chief: str = "") -> PatrolEntry:
    found = tuple(Found(str(i["category"]), int(i.get("count", 1)), bool(i.get("fixed"))) for i in p.items or [])
    return PatrolEntry(p.id, p.alley, p.day, p.minutes, found, p.note, p.verified, aware(p.created_at), chief)


class ChiefLog:
    def __init__(self, uow: Callable[[], UnitOfWork], config: AppConfig) -> None:
        self._uow = uow
        self._config = config

    def inside(self, alley: str, lat: float, lng: float) -> bool:
        spec = self._config.alley(alley)
        limit = self._config.points.geofence_meters  # the stewards' geofence: the same rule for both
        return spec is not None and distance_to_polyline((lat, lng), spec.polyline) <= limit

    def alleys_of(self, user_id: int) -> list[str]:
        """The alleys this person walks as chief (their duty alley; staff answer for their office's)."""
        with self._uow() as uow:
            user = uow.session.get(User, user_id)
            if user is None or user.role not in ("chief", "staff"):
                return []
            return [a.name for a in self._config.alleys if answers_for(user, a.name, a.street_office)
                    and (user.role == "staff" or a.name == (user.duty_alley.name if user.duty_alley else None))]

    def record(self, user_id: int, alley: str, minutes: int, found: Sequence[Found], note: str, key: str,
               lat: float | None = None, lng: float | None = None, now: datetime | None = None) -> PatrolEntry:
        """Log a patrol (the same message again gives the same entry back)."""
        if minutes <= 0 or minutes > MAX_MINUTES:
            raise LogError("minutes", f"{minutes} minutes")
        now = now or datetime.now(UTC)
        with self._uow() as uow:
            s = uow.session
            earlier = s.scalar(select(ChiefPatrol).where(ChiefPatrol.source_key == key))
            if earlier is not None:
                return _entry(earlier)
            user = s.get(User, user_id)
            if user is None or user.role not in ("chief", "staff"):
                raise LogError("not_chief", f"user {user_id} is not a chief")
            spec = self._config.alley(alley)
            if spec is None or not answers_for(user, alley, spec.street_office):
                raise LogError("alley", f"user {user_id} does not answer for {alley}")
            verified = lat is not None and lng is not None and self.inside(alley, lat, lng)
            row = ChiefPatrol(user_id=user_id, alley=alley, day=beijing_day(now), minutes=minutes,
                              items=[{"category": f.category, "count": f.count, "fixed": f.fixed} for f in found],
                              note=note[:1000], lat=lat, lng=lng, verified=verified, source_key=key[:80],
                              created_at=now)
            try:
                with s.begin_nested():
                    s.add(row)
            except IntegrityError:  # the same message, logged meanwhile by a concurrent retry
                again = s.scalar(select(ChiefPatrol).where(ChiefPatrol.source_key == key))
                assert again is not None
                return _entry(again)
            return _entry(row)

    def locate(self, user_id: int, entry_id: int, lat: float, lng: float) -> PatrolEntry | None:
        """A location sent after the patrol was logged: it verifies the entry when inside the alley."""
        with self._uow() as uow:
            row = uow.session.get(ChiefPatrol, entry_id)
            if row is None or row.user_id != user_id:
                return None
            row.lat, row.lng = lat, lng
            row.verified = row.verified or self.inside(row.alley, lat, lng)
            return _entry(row)

    def mine(self, user_id: int, limit: int = 10) -> list[PatrolEntry]:
        with self._uow() as uow:
            rows = uow.session.scalars(select(ChiefPatrol).where(ChiefPatrol.user_id == user_id)
                                       .order_by(ChiefPatrol.day.desc(), ChiefPatrol.id.desc()).limit(limit))
            return [_entry(p) for p in rows]

    def within(self, alleys: Sequence[str], limit: int = 100, since_day: str | None = None) -> list[PatrolEntry]:
        """The newest patrols of these alleys (the console: a chief's own alley, staff their office's)."""
        with self._uow() as uow:
            query = (select(ChiefPatrol, User.display_name).join(User, User.id == ChiefPatrol.user_id)
                     .where(ChiefPatrol.alley.in_(list(alleys))))
            if since_day:
                query = query.where(ChiefPatrol.day >= since_day)
            rows = uow.session.execute(query.order_by(ChiefPatrol.day.desc(), ChiefPatrol.id.desc()).limit(limit))
            return [_entry(p, name or self._chief_name(p.alley)) for p, name in rows]

    def _chief_name(self, alley: str) -> str:
        spec = self._config.alley(alley)
        return spec.chief if spec else ""

    def days(self, alley: str, first_day: str, last_day: str) -> int:
        """Distinct days with a logged patrol of the alley in [first_day, last_day] (the scorecard's 知情)."""
        with self._uow() as uow:
            return int(uow.session.scalar(select(func.count(func.distinct(ChiefPatrol.day))).where(
                ChiefPatrol.alley == alley, ChiefPatrol.day >= first_day, ChiefPatrol.day <= last_day)) or 0)

    def last_checked(self, alley: str) -> dict[str, Any]:
        """The day of the alley's latest patrol, and per 十无 category the latest patrol that found it."""
        with self._uow() as uow:
            rows = list(uow.session.execute(select(ChiefPatrol.day, ChiefPatrol.items)
                                            .where(ChiefPatrol.alley == alley)
                                            .order_by(ChiefPatrol.day.desc()).limit(400)))
        found: dict[str, str] = {}
        for day, items in rows:
            for item in items or []:
                found.setdefault(str(item["category"]), str(day))
        return {"last_patrol": rows[0][0] if rows else None, "found": found}
