"""台账: an alley's ledger of the 十无 items: what is open in each, the oldest open ticket, when a patrol last
found it, and the month's figures (received, resolved, on time, ratings)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot.chiefs.assessment import OPEN, period
from bot.chiefs.log import ChiefLog
from bot.core.clock import BEIJING, aware
from bot.core.config import AppConfig
from bot.core.db import UnitOfWork
from bot.core.models import Issue


class LedgerError(LookupError):
    pass


@dataclass(frozen=True)
class LedgerItem:
    category: str
    name: str
    item: str  # the 十无 item (无乱停车 …)
    open: int
    oldest_ticket: str | None
    oldest_since: datetime | None
    last_found: str | None  # the day a patrol last found it


@dataclass(frozen=True)
class AlleyLedger:
    alley: str
    street_office: str
    chief: str
    month: str
    items: list[LedgerItem]
    last_patrol: str | None
    received: int
    resolved: int
    on_time: int
    rated: int
    satisfied: int  # rated 3 (满意)

    def as_json(self) -> dict[str, Any]:
        return {
            "alley": self.alley, "street_office": self.street_office, "chief": self.chief,
            "last_patrol": self.last_patrol,
            "items": [{"category": i.category, "name": i.name, "item": i.item, "open": i.open,
                       "oldest_open": i.oldest_ticket,
                       "oldest_open_since": i.oldest_since.isoformat() if i.oldest_since else None,
                       "last_found_on_patrol": i.last_found} for i in self.items],
            "month": {"month": self.month, "received": self.received, "resolved": self.resolved,
                      "on_time": self.on_time, "on_time_rate": _rate(self.on_time, self.resolved),
                      "rated": self.rated, "satisfaction_rate": _rate(self.satisfied, self.rated)},
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


class AlleyLedgers:
    def __init__(self, uow: Callable[[], UnitOfWork], config: AppConfig, log: ChiefLog) -> None:
        self._uow = uow
        self._config = config
        self._log = log

    def ledger(self, alley: str, month: str | None = None, now: datetime | None = None) -> AlleyLedger:
        spec = self._config.alley(alley)
        if spec is None:
            raise LedgerError(f"no alley {alley}")
        now = now or datetime.now(UTC)
        p = period(month=month or now.astimezone(BEIJING).strftime("%Y-%m"))
        checked = self._log.last_checked(alley)
        with self._uow() as uow:
            s = uow.session
            opened = {str(c): (int(n), at) for c, n, at in s.execute(
                select(Issue.category, func.count(), func.min(Issue.created_at))
                .where(Issue.alley == alley, Issue.status.in_(OPEN)).group_by(Issue.category))}
            oldest = {}
            for category in opened:
                oldest[category] = s.scalar(select(Issue.ticket).where(
                    Issue.alley == alley, Issue.status.in_(OPEN), Issue.category == category)
                    .order_by(Issue.created_at, Issue.id).limit(1))
            received = int(s.scalar(select(func.count()).select_from(Issue).where(
                Issue.alley == alley, Issue.created_at >= p.start, Issue.created_at < p.end)) or 0)
            resolved = list(s.execute(select(Issue.resolved_at, Issue.due_at, Issue.rating).where(
                Issue.alley == alley, Issue.status == "resolved", Issue.resolved_at >= p.start,
                Issue.resolved_at < p.end)))
        items = [LedgerItem(c.code, c.name, c.item, opened.get(c.code, (0, None))[0], oldest.get(c.code),
                            aware(opened[c.code][1]) if c.code in opened else None, checked["found"].get(c.code))
                 for c in self._config.categories]
        ratings = [r for _, _, r in resolved if r is not None]
        return AlleyLedger(alley, spec.street_office, spec.chief, p.label, items, checked["last_patrol"],
                           received, len(resolved),
                           sum(1 for r, d, _ in resolved if r is not None and aware(r) <= aware(d)),
                           len(ratings), sum(1 for r in ratings if r == 3))
