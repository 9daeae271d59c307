"""The console's 概览: ticket counts and handling times for the alleys a person answers for.

Everything is counted in SQL (GROUP BY on the issues table, in the scope's alleys), so the dashboard costs a
fixed number of queries whatever the history holds; only the handling-time percentiles read rows, and only
the resolved tickets of the last year, two timestamps and a class each.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.core.clock import BEIJING, aware
from bot.core.config import AppConfig
from bot.core.db import UnitOfWork
from bot.core.models import OPEN_STATUSES, Issue

OPEN = frozenset(OPEN_STATUSES)
MONTHS = 12  # the trend covers this many calendar months, this one included
HANDLING_DAYS = 365  # handling times are taken from tickets resolved within this many days
HEAT_DAYS = 90  # the map's heat: reports with a location from this many days
HEAT_POINTS = 5000


@dataclass(frozen=True)
class HandlingTime:
    triage: str
    promised_days: int
    resolved: int
    median_days: float | None
    p90_days: float | None
    on_time: int  # resolved before their due time


@dataclass(frozen=True)
class Dashboard:
    by_status: dict[str, int]
    by_category: dict[str, dict[str, int]]  # category code → status → count
    by_alley: dict[str, dict[str, int]]  # alley → {"open": n, "closed": n}
    by_month: list[tuple[str, int, int]]  # (YYYY-MM, reported, resolved), oldest first
    handling: list[HandlingTime]
    ratings: dict[int, int]  # 3 / 2 / 1 → count
    overdue: int
    heat: list[tuple[float, float]] = field(default_factory=list)  # (lat, lng) of recent reports

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def _months(now: datetime) -> list[str]:
    """The last MONTHS calendar months (Beijing), oldest first."""
    year, month = now.astimezone(BEIJING).year, now.astimezone(BEIJING).month
    out = []
    for _ in range(MONTHS):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


class IssueStatistics:
    def __init__(self, uow: Callable[[], UnitOfWork], config: AppConfig, dialect: str) -> None:
        self._uow = uow
        self._config = config
        self._dialect = dialect

    def _month_of(self, column: Any) -> Any:
        """A timestamp's Beijing calendar month as YYYY-MM, in the database's own words."""
        if self._dialect == "postgresql":
            return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
        return func.strftime("%Y-%m", column, "+8 hours")  # SQLite keeps UTC wall time

    def dashboard(self, within: Sequence[str], now: datetime | None = None) -> Dashboard:
        now = now or datetime.now(UTC)
        alleys = list(within)
        scope = Issue.alley.in_(alleys)
        months = _months(now)
        first_month = datetime.strptime(months[0], "%Y-%m").replace(tzinfo=BEIJING).astimezone(UTC)
        with self._uow() as uow:
            s = uow.session
            by_category: dict[str, dict[str, int]] = {}
            by_status: dict[str, int] = {}
            for category, status, n in s.execute(select(Issue.category, Issue.status, func.count())
                                                  .where(scope).group_by(Issue.category, Issue.status)):
                by_category.setdefault(category, {})[status] = int(n)
                by_status[status] = by_status.get(status, 0) + int(n)
            by_alley: dict[str, dict[str, int]] = {}
            for alley, status, n in s.execute(select(Issue.alley, Issue.status, func.count()).where(scope)
                                              .group_by(Issue.alley, Issue.status)):
                side = by_alley.setdefault(alley, {"open": 0, "closed": 0})
                side["open" if status in OPEN_STATUSES else "closed"] += int(n)
            # Grouped by the output column's name: the expression repeated would bind its parameters twice,
            # and PostgreSQL would not see the two as the same expression.
            reported = {str(m): int(n) for m, n in s.execute(
                select(self._month_of(Issue.created_at).label("month"), func.count())
                .where(scope, Issue.created_at >= first_month).group_by("month"))}
            resolved = {str(m): int(n) for m, n in s.execute(
                select(self._month_of(Issue.resolved_at).label("month"), func.count())
                .where(scope, Issue.status == "resolved", Issue.resolved_at >= first_month).group_by("month"))}
            ratings: dict[int, int] = {int(r or 0): int(n) for r, n in s.execute(
                select(Issue.rating, func.count()).where(scope, Issue.rating.is_not(None)).group_by(Issue.rating))}
            overdue = int(s.scalar(select(func.count()).select_from(Issue).where(
                scope, Issue.status.in_(OPEN_STATUSES), Issue.due_at < now)) or 0)
            times = list(s.execute(select(Issue.triage, Issue.created_at, Issue.resolved_at, Issue.due_at).where(
                scope, Issue.status == "resolved", Issue.resolved_at >= now - timedelta(days=HANDLING_DAYS))))
            heat = [(float(lat or 0), float(lng or 0)) for lat, lng in s.execute(
                select(Issue.lat, Issue.lng).where(scope, Issue.lat.is_not(None), Issue.lng.is_not(None),
                                                   Issue.created_at >= now - timedelta(days=HEAT_DAYS))
                .order_by(Issue.id.desc()).limit(HEAT_POINTS))]
        return Dashboard(by_status, by_category, by_alley,
                         [(m, reported.get(m, 0), resolved.get(m, 0)) for m in months],
                         self._handling(times), ratings, overdue, heat)

    def _handling(self, rows: Sequence[Any]) -> list[HandlingTime]:
        per: dict[str, list[tuple[float, bool]]] = {}
        for triage, created, resolved, due in rows:
            if resolved is None or created is None:
                continue
            days = (aware(resolved) - aware(created)).total_seconds() / 86400
            per.setdefault(triage, []).append((days, aware(resolved) <= aware(due)))
        out = []
        for triage, promised in self._config.handling_days.items():
            found = sorted(d for d, _ in per.get(triage, []))
            out.append(HandlingTime(
                triage, promised, len(found),
                round(statistics.median(found), 1) if found else None,
                round(statistics.quantiles(found, n=10, method="inclusive")[-1], 1) if len(found) > 1
                else (round(found[0], 1) if found else None),
                sum(1 for _, ok in per.get(triage, []) if ok)))
        return out
