"""Patrol check-ins and the points they earn: one record per steward, alley and day; awards through the ledger.

A check-in records what was done (巡 minutes, 访 visits, 做 fixes, 报 that day's reports, linked from the issue
table). Points are paid only for a verified patrol (a location inside the alley's geofence, or the chief's
confirmation). Whenever a record changes, its points are recomputed under the rules and the daily cap, and the
difference is posted to the ledger with a key naming the patrol and the message that changed it: a retry
posts nothing, an amendment never pays twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.audit import Audit, write_audit
from bot.core.clock import BEIJING, beijing_day
from bot.core.config import AppConfig
from bot.core.db import UnitOfWork
from bot.core.geo import distance_to_polyline
from bot.core.models import Issue, LedgerBalance, LedgerEntry, LedgerTransfer, PatrolRecord, StewardClaim, User
from bot.notices.service import owe
from bot.stewards import ledger, texts
from bot.stewards.service import deciders, may_decide
from points import rules as points_rules
from points.ledger import award, correction, user_account

COUNTED_REPORTS = ("accepted", "in_progress", "forwarded", "resolved")


@dataclass(frozen=True)
class PatrolView:
    id: int
    alley: str
    day: str
    minutes: int
    visits: int
    fixes: int
    reports: int
    verified_by: str | None
    points: int
    awarded_now: int  # what this change added (negative: taken back)

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "alley": self.alley, "day": self.day, "minutes": self.minutes, "visits": self.visits,
                "fixes": self.fixes, "reports": self.reports, "verified_by": self.verified_by, "points": self.points}


@dataclass(frozen=True)
class PointsSummary:
    balance: int
    month_minutes: int
    month_points: int
    rank: int | None  # in the street office this month, among stewards with points
    ranked: int


class Patrols:
    def __init__(self, uow: Callable[[], UnitOfWork], config: AppConfig, enqueue: Callable[..., None]) -> None:
        self._uow = uow
        self._config = config
        self._enqueue = enqueue  # an unverified patrol asks the chief to confirm it (a job)

    @staticmethod
    def _view(p: PatrolRecord, awarded: int = 0) -> PatrolView:
        return PatrolView(p.id, p.alley, p.day, p.minutes, p.visits, p.fixes, p.reports, p.verified_by, p.points,
                          awarded)

    def inside(self, alley: str, lat: float, lng: float) -> bool:
        spec = self._config.alley(alley)
        limit = self._config.points.geofence_meters
        return spec is not None and distance_to_polyline((lat, lng), spec.polyline) <= limit

    def _reports(self, s: Session, user: User, alley: str, day: str) -> tuple[int, int]:
        """That day's reports by this steward in this alley: all of them, and those the chief took on."""
        start = datetime.fromisoformat(day).replace(tzinfo=BEIJING)
        rows = s.scalars(select(Issue.status).where(Issue.reporter_id == user.id, Issue.alley == alley,
                                                    Issue.created_at >= start.astimezone(UTC),
                                                    Issue.created_at < (start + timedelta(days=1)).astimezone(UTC)))
        statuses = list(rows)
        return len(statuses), sum(1 for st in statuses if st in COUNTED_REPORTS)

    def _rescore(self, s: Session, patrol: PatrolRecord, user: User, key: str) -> int:
        """Recompute the patrol's points and post the difference; returns it."""
        rules = self._config.points
        reports, accepted = self._reports(s, user, patrol.alley, patrol.day)
        patrol.reports = reports
        wanted = points_rules.patrol_points(rules, points_rules.Patrol(patrol.minutes, patrol.visits, patrol.fixes,
                                                                     accepted), steward=True)
        if not patrol.verified_by:
            # Unverified: nothing new is paid. What an earlier verification paid stays, unless the record now
            # claims less (an amendment that raised the claim waits for verification again).
            wanted = min(wanted, patrol.points)
        account = user_account(user.id)
        own_prefix = f"patrol:{patrol.id}:"
        earned_elsewhere = s.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).join(LedgerTransfer)
            .where(LedgerEntry.account == account, LedgerTransfer.day == patrol.day,
                   LedgerTransfer.kind.in_(("award", "correction")), ~LedgerTransfer.key.startswith(own_prefix))) or 0
        target = points_rules.within_cap(rules, int(earned_elsewhere), wanted)
        delta = target - patrol.points
        if delta:
            memo = texts.patrol_memo(patrol.day, patrol.alley, patrol.minutes)
            make = correction if patrol.points else award
            if ledger.post(s, make(f"{own_prefix}{key}", account, delta, memo), user.id, patrol.day):
                patrol.points = target
            else:
                delta = 0
        return delta

    def checkin(self, user_id: int, alley: str, minutes: int, visits: int = 0, fixes: int = 0, note: str = "",
                key: str = "", lat: float | None = None, lng: float | None = None,
                now: datetime | None = None) -> PatrolView:
        """Record (or amend) today's patrol of ``alley``; a location inside it verifies the patrol."""
        day = beijing_day(now)
        with self._uow() as uow:
            s = uow.session
            user = s.get(User, user_id)
            if user is None or not s.scalar(select(StewardClaim.id).where(
                    StewardClaim.user_id == user.id, StewardClaim.alley == alley, StewardClaim.status == "approved")):
                raise PermissionError(f"user {user_id} is not a steward of {alley}")
            patrol = s.scalar(select(PatrolRecord).where(PatrolRecord.user_id == user.id, PatrolRecord.alley == alley,
                                                         PatrolRecord.day == day).with_for_update(of=PatrolRecord))
            if patrol is None:
                patrol = PatrolRecord(user_id=user.id, alley=alley, day=day, minutes=minutes, visits=visits,
                                      fixes=fixes, reports=0, note=note, points=0)
                s.add(patrol)
                s.flush()
            else:
                raised = minutes > patrol.minutes or visits > patrol.visits or fixes > patrol.fixes
                if raised and patrol.verified_by:
                    # The verification vouched for the old figures, not for more: verify again before paying.
                    patrol.verified_by, patrol.lat, patrol.lng = None, None, None
                patrol.minutes, patrol.visits, patrol.fixes = minutes, visits, fixes
                patrol.note = f"{patrol.note}；{note}" if patrol.note and note else (note or patrol.note)
            if lat is not None and lng is not None and self.inside(alley, lat, lng):
                patrol.lat, patrol.lng, patrol.verified_by = lat, lng, patrol.verified_by or "location"
            delta = self._rescore(s, patrol, user, key or f"checkin-{datetime.now(UTC).timestamp()}")
            view = self._view(patrol, delta)
            owed = [] if view.verified_by else self._ask_to_confirm(s, patrol)
        if owed:
            self._enqueue("deliver_notices", notice_ids=owed)
        return view

    def _ask_to_confirm(self, s: Session, patrol: PatrolRecord) -> list[int]:
        """An unverified patrol: the alley's chief (or staff) is asked to vouch for it, once per set of figures
        (an amendment that raised them asks again), written with the patrol itself."""
        name = s.scalar(select(StewardClaim.name).where(StewardClaim.user_id == patrol.user_id,
                                                       StewardClaim.alley == patrol.alley)
                        .order_by(StewardClaim.id.desc())) or texts.STEWARD_NAME
        figures = f"{patrol.minutes}-{patrol.visits}-{patrol.fixes}"
        text = texts.patrol_for_chief(patrol.id, name, patrol.alley, patrol.minutes)
        owed = [owe(s, u.id, f"patrol:{patrol.id}:confirm:{figures}:{u.openid}", text)
                for u in deciders(s, patrol.alley, self._config)]
        return [n for n in owed if n is not None]

    def describe(self, patrol_id: int) -> tuple[PatrolView, str] | None:
        """A patrol and the steward's name (for the chief's confirmation request)."""
        with self._uow() as uow:
            patrol = uow.session.get(PatrolRecord, patrol_id)
            if patrol is None:
                return None
            name = uow.session.scalar(select(StewardClaim.name).where(StewardClaim.user_id == patrol.user_id,
                                                                      StewardClaim.alley == patrol.alley)
                                      .order_by(StewardClaim.id.desc()))
            return self._view(patrol), name or texts.STEWARD_NAME

    def verify_by_location(self, user_id: int, lat: float, lng: float, key: str,
                           now: datetime | None = None) -> list[PatrolView]:
        """Today's unverified patrols of this steward whose alley contains the location become verified."""
        day = beijing_day(now)
        with self._uow() as uow:
            s = uow.session
            user = s.get(User, user_id)
            if user is None:
                return []
            patrols = s.scalars(select(PatrolRecord).where(PatrolRecord.user_id == user.id, PatrolRecord.day == day,
                                                           PatrolRecord.verified_by.is_(None))
                                .with_for_update(of=PatrolRecord))
            done = []
            for patrol in patrols:
                if self.inside(patrol.alley, lat, lng):
                    patrol.lat, patrol.lng, patrol.verified_by = lat, lng, "location"
                    done.append(self._view(patrol, self._rescore(s, patrol, user, key)))
            return done

    def confirm(self, decider_id: int | None, patrol_id: int, audit: Audit | None = None) -> PatrolView:
        """The chief vouches for a patrol without a location: its points are paid (no decider: the command line)."""
        with self._uow() as uow:
            s = uow.session
            patrol = s.scalar(select(PatrolRecord).where(PatrolRecord.id == patrol_id).with_for_update(of=PatrolRecord))
            if patrol is None:
                raise LookupError(f"no patrol {patrol_id}")
            decider = s.get(User, decider_id) if decider_id is not None else None
            if decider_id is not None and not may_decide(decider, patrol.alley, self._config):
                raise PermissionError(f"user {decider_id} may not confirm patrols of {patrol.alley}")
            actor = decider.openid if decider is not None else "cli"
            user = s.get(User, patrol.user_id)
            assert user is not None
            patrol.verified_by = patrol.verified_by or "chief"
            # Keyed by the figures vouched for: a retried confirmation pays once, a confirmation of amended
            # figures pays their difference.
            key = f"confirm-{actor}-{patrol.minutes}-{patrol.visits}-{patrol.fixes}"
            spec = self._config.alley(patrol.alley)
            write_audit(s, audit, "patrol_confirm", "patrol", str(patrol.id), spec.street_office if spec else None,
                        f"{patrol.alley} {patrol.day} {patrol.minutes} 分钟")
            return self._view(patrol, self._rescore(s, patrol, user, key))

    def within(self, alleys: Sequence[str], limit: int = 100) -> list[tuple[PatrolView, str]]:
        """The newest patrols of these alleys with their steward's name, unverified ones first."""
        with self._uow() as uow:
            s = uow.session
            names = {int(uid): name for uid, name in s.execute(select(StewardClaim.user_id, StewardClaim.name))}
            rows = s.scalars(select(PatrolRecord).where(PatrolRecord.alley.in_(list(alleys)))
                             .order_by(PatrolRecord.verified_by.is_not(None), PatrolRecord.day.desc(),
                                       PatrolRecord.id.desc()).limit(limit))
            return [(self._view(p), names.get(p.user_id, "")) for p in rows]

    def rescore_day(self, openid: str, day: str, key: str) -> int:
        """Recompute a day's patrols (a report of that day was accepted since): the bonus follows."""
        with self._uow() as uow:
            s = uow.session
            user = s.scalar(select(User).where(User.openid == openid))
            if user is None:
                return 0
            patrols = list(s.scalars(select(PatrolRecord).where(PatrolRecord.user_id == user.id,
                                                                PatrolRecord.day == day)
                                     .with_for_update(of=PatrolRecord)))
            return sum(self._rescore(s, p, user, key) for p in patrols)

    def history(self, user_id: int, limit: int = 10) -> list[PatrolView]:
        with self._uow() as uow:
            rows = uow.session.scalars(select(PatrolRecord).where(PatrolRecord.user_id == user_id)
                                       .order_by(PatrolRecord.day.desc(), PatrolRecord.id.desc()).limit(limit))
            return [self._view(p) for p in rows]

    def _month_points(self, s: Session, prefix: str) -> dict[int, int]:
        """Points earned (awards and corrections) per user in days starting with ``prefix`` (YYYY-MM or YYYY)."""
        rows = s.execute(select(LedgerTransfer.user_id, func.sum(LedgerEntry.amount)).join(LedgerEntry)
                         .where(LedgerTransfer.day.startswith(prefix), LedgerTransfer.kind.in_(("award", "correction")),
                                LedgerEntry.account.startswith("user:")).group_by(LedgerTransfer.user_id))
        return {int(uid): int(total) for uid, total in rows if uid is not None}

    def leaderboard(self, period: str, office: str | None = None, limit: int = 10) -> list[dict[str, object]]:
        """Stewards by points earned in ``period`` (YYYY-MM, or YYYY for the year's 金牌管家 candidates)."""
        with self._uow() as uow:
            s = uow.session
            earned = self._month_points(s, period)
            minutes: dict[int, int] = defaultdict(int)
            for uid, mins in s.execute(select(PatrolRecord.user_id, func.sum(PatrolRecord.minutes))
                                       .where(PatrolRecord.day.startswith(period)).group_by(PatrolRecord.user_id)):
                minutes[int(uid)] = int(mins or 0)
            claims = s.execute(select(StewardClaim.user_id, StewardClaim.alley, StewardClaim.name)
                               .where(StewardClaim.status.in_(("approved", "withdrawn"))))
            who: dict[int, tuple[str, str]] = {}
            for uid, alley, name in claims:
                spec = self._config.alley(alley)
                if office is None or (spec is not None and spec.street_office == office):
                    who.setdefault(int(uid), (name, alley))
            board = sorted(((earned.get(uid, 0), minutes.get(uid, 0), uid) for uid in who), reverse=True)
            return [{"rank": i, "name": who[uid][0], "alley": who[uid][1], "points": pts, "hours": round(m / 60, 1)}
                    for i, (pts, m, uid) in enumerate(board[:limit], 1)]

    def balance(self, user_id: int) -> int:
        """The steward's points now (the cached ledger balance), without the month's statistics."""
        with self._uow() as uow:
            return int(uow.session.scalar(select(LedgerBalance.balance).where(
                LedgerBalance.account == user_account(user_id))) or 0)

    def summary(self, user_id: int, now: datetime | None = None) -> PointsSummary:
        """我的积分: balance, this month's hours and points, and rank in the street office this month."""
        month = beijing_day(now)[:7]
        with self._uow() as uow:
            s = uow.session
            user = s.get(User, user_id)
            if user is None:
                return PointsSummary(0, 0, 0, None, 0)
            balance = int(s.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                                   .where(LedgerEntry.account == user_account(user.id))) or 0)
            minutes = int(s.scalar(select(func.coalesce(func.sum(PatrolRecord.minutes), 0)).where(
                PatrolRecord.user_id == user.id, PatrolRecord.day.startswith(month))) or 0)
            earned = self._month_points(s, month)
            office = self._office(s, user)
            peers = {int(uid) for uid, alley in s.execute(select(StewardClaim.user_id, StewardClaim.alley)
                                                          .where(StewardClaim.status == "approved"))
                     if (spec := self._config.alley(alley)) is not None and spec.street_office == office}
            ranking = sorted((earned.get(uid, 0) for uid in peers | {user.id}), reverse=True)
            mine = earned.get(user.id, 0)
            rank = ranking.index(mine) + 1 if mine > 0 else None
            return PointsSummary(balance, minutes, mine, rank, len(ranking))

    def _office(self, s: Session, user: User) -> str | None:
        alley = s.scalar(select(StewardClaim.alley).where(StewardClaim.user_id == user.id,
                                                          StewardClaim.status == "approved").order_by(StewardClaim.id))
        spec = self._config.alley(alley) if alley else None
        return spec.street_office if spec else None

    def report(self, month: str) -> list[dict[str, object]]:
        """Per steward and alley for a month: patrols, hours, visits, fixes, reports, points (月评)."""
        with self._uow() as uow:
            s = uow.session
            names = {int(uid): name for uid, name in s.execute(select(StewardClaim.user_id, StewardClaim.name))}
            rows = s.execute(select(PatrolRecord.user_id, User.openid, PatrolRecord.alley, func.count(),
                                    func.sum(PatrolRecord.minutes), func.sum(PatrolRecord.visits),
                                    func.sum(PatrolRecord.fixes), func.sum(PatrolRecord.reports),
                                    func.sum(PatrolRecord.points))
                             .join(User, User.id == PatrolRecord.user_id).where(PatrolRecord.day.startswith(month))
                             .group_by(PatrolRecord.user_id, User.openid, PatrolRecord.alley)
                             .order_by(PatrolRecord.alley, User.openid))
            return [{"steward": names.get(int(uid), ""), "openid": openid, "alley": alley, "patrols": int(n),
                     "hours": round(int(mins or 0) / 60, 1), "visits": int(v or 0), "fixes": int(f or 0),
                     "reports": int(r or 0), "points": int(p or 0)}
                    for uid, openid, alley, n, mins, v, f, r, p in rows]

