"""考核: the facts of each alley's period from the tickets, the patrol log and the polls, scored by
bot/chiefs/scoring.py. A period is an ISO week (2026-W48), a month (2026-11) or a quarter (2026-Q4), in Beijing
days; the current one counts up to now."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.chiefs.scoring import Facts, Scorecard, score
from bot.core.clock import BEIJING, aware
from bot.core.config import AppConfig
from bot.core.db import UnitOfWork
from bot.core.models import ChiefPatrol, Issue, IssueEvent, PollAnswer, User

FIRST_ACTIONS = ("accepted", "in_progress", "forwarded", "resolved", "rejected", "message", "assigned")
COUNTED = ("received", "accepted", "in_progress", "forwarded", "resolved", "rejected")  # not merged or withdrawn
OPEN = ("received", "accepted", "in_progress", "forwarded")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    label: str
    first: date
    last: date  # inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), BEIJING).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), BEIJING).astimezone(UTC)


def period(week: str | None = None, month: str | None = None, quarter: str | None = None) -> Period:
    """2026-W48, 2026-11 or 2026-Q4 as Beijing calendar days."""
    if week:
        m = re.fullmatch(r"(\d{4})-W(\d{2})", week)
        if not m or not 1 <= int(m.group(2)) <= 53:
            raise PeriodError(f"--week: not a week like 2026-W48: {week}")
        first = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        return Period(week, first, first + timedelta(days=6))
    if month:
        m = re.fullmatch(r"(\d{4})-(\d{2})", month)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise PeriodError(f"--month: not a month like 2026-11: {month}")
        first = date(int(m.group(1)), int(m.group(2)), 1)
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return Period(month, first, following - timedelta(days=1))
    if quarter:
        m = re.fullmatch(r"(\d{4})-Q([1-4])", quarter)
        if not m:
            raise PeriodError(f"--quarter: not a quarter like 2026-Q4: {quarter}")
        year, q = int(m.group(1)), int(m.group(2))
        first = date(year, 3 * q - 2, 1)
        following = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
        return Period(quarter, first, following - timedelta(days=1))
    raise PeriodError("name a period: --week 2026-W48, --month 2026-11 or --quarter 2026-Q4")


@dataclass(frozen=True)
class ChiefScore:
    alley: str
    street_office: str
    chief: str
    card: Scorecard
    facts: Facts
    period: Period

    def as_json(self) -> dict[str, Any]:
        """The document of `alleybot chiefs scorecard --json` (DESIGN §5), with what the parts come from."""
        f = self.facts
        return {
            "alley": self.alley, "chief": self.chief, "score": self.card.score, "grade": self.card.grade,
            "parts": self.card.parts, "street_office": self.street_office, "period": self.period.label,
            "not_applicable": self.card.not_applicable,
            "facts": {"days": f.days, "patrol_days": f.patrol_days, "due": f.due, "on_time": f.on_time,
                      "reopened": f.reopened, "reported": len(f.response_hours),
                      "ratings": list(f.ratings), "poll_mean": f.poll_mean, "overdue_at_end": f.overdue_at_end},
        }


class Assessment:
    def __init__(self, uow: Callable[[], UnitOfWork], config: AppConfig) -> None:
        self._uow = uow
        self._config = config

    def scorecards(self, p: Period, street_office: str | None = None, alleys: list[str] | None = None,
                   now: datetime | None = None) -> list[ChiefScore]:
        """Every alley's chief scored for the period (of one street office, or these alleys), best first."""
        now = now or datetime.now(UTC)
        out = []
        for spec in self._config.alleys:
            if street_office and spec.street_office != street_office:
                continue
            if alleys is not None and spec.name not in alleys:
                continue
            facts = self.facts(spec.name, p, now)
            out.append(ChiefScore(spec.name, spec.street_office, spec.chief, score(facts, self._config.assessment),
                                  facts, p))
        return sorted(out, key=lambda c: (-c.card.score, c.alley))

    def of_chief(self, user_id: int, p: Period, now: datetime | None = None) -> ChiefScore | None:
        """我的考核: the score of the alley this chief answers for."""
        with self._uow() as uow:
            user = uow.session.get(User, user_id)
            alley = user.duty_alley.name if user is not None and user.role == "chief" and user.duty_alley else None
        if alley is None:
            return None
        found = self.scorecards(p, alleys=[alley], now=now)
        return found[0] if found else None

    def facts(self, alley: str, p: Period, now: datetime) -> Facts:
        end = min(p.end, now)
        days = max(1, (min(p.last, now.astimezone(BEIJING).date()) - p.first).days + 1)
        with self._uow() as uow:
            s = uow.session
            patrol_days = int(s.scalar(select(func.count(func.distinct(ChiefPatrol.day))).where(
                ChiefPatrol.alley == alley, ChiefPatrol.day >= p.first.isoformat(),
                ChiefPatrol.day <= p.last.isoformat())) or 0)
            due = list(s.execute(select(Issue.due_at, Issue.resolved_at, Issue.status).where(
                Issue.alley == alley, Issue.status.in_(COUNTED), Issue.due_at >= p.start, Issue.due_at < end)))
            on_time = sum(1 for d, r, st in due if st == "resolved" and r is not None and aware(r) <= aware(d))
            reopened = int(s.scalar(select(func.count()).select_from(IssueEvent).join(Issue).where(
                Issue.alley == alley, IssueEvent.kind.in_(("reopened", "reopened_staff")),
                IssueEvent.at >= p.start, IssueEvent.at < end)) or 0)
            reported = list(s.execute(select(Issue.id, Issue.created_at, User.openid).join(
                User, User.id == Issue.reporter_id).where(Issue.alley == alley, Issue.status.in_(COUNTED),
                                                         Issue.created_at >= p.start, Issue.created_at < end)))
            firsts = {int(i): aware(at) for i, at in s.execute(
                select(IssueEvent.issue_id, func.min(IssueEvent.at)).where(
                    IssueEvent.issue_id.in_([r[0] for r in reported]), IssueEvent.kind.in_(FIRST_ACTIONS),
                    IssueEvent.actor.is_not(None), IssueEvent.actor != "system")
                .group_by(IssueEvent.issue_id))} if reported else {}
            hours = [((firsts.get(i) or end) - aware(created)).total_seconds() / 3600 for i, created, _ in reported]
            ratings = [r for r in s.scalars(select(Issue.rating).where(
                Issue.alley == alley, Issue.rating.is_not(None), Issue.resolved_at >= p.start,
                Issue.resolved_at < end)) if r is not None]
            poll = s.scalar(select(func.avg(PollAnswer.rating)).where(
                PollAnswer.alley == alley, PollAnswer.answered_at >= p.start, PollAnswer.answered_at < end))
            overdue = int(s.scalar(select(func.count()).select_from(Issue).where(
                Issue.alley == alley, Issue.status.in_(OPEN), Issue.due_at < end,
                (Issue.resolved_at.is_(None)))) or 0)
        return Facts(days=days, patrol_days=patrol_days, due=len(due), on_time=on_time, reopened=reopened,
                     response_hours=[max(0.0, h) for h in hours], ratings=ratings,
                     poll_mean=float(poll) if poll is not None else None, overdue_at_end=overdue)
