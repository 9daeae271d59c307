"""小巷管家 membership: residents apply to claim an alley, chiefs or staff approve or decline, stewards withdraw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import BindParameter, Integer, Select, bindparam, select
from sqlalchemy.orm import Session

from bot.accounts.authority import answers_for_alley
from bot.accounts.service import get_or_create_user
from bot.core.audit import Audit, write_audit
from bot.core.clock import aware
from bot.core.config import AppConfig
from bot.core.db import UowFactory
from bot.core.models import Alley, StewardClaim, User
from bot.notices.service import owe
from bot.stewards import texts

T = TypeVar("T")

Enqueue = Callable[..., None]


class StewardError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class ClaimView:
    id: int
    openid: str
    name: str
    phone: str | None
    alley: str
    status: str
    created_at: datetime

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "openid": self.openid, "name": self.name, "phone": self.phone, "alley": self.alley,
                "status": self.status, "created_at": self.created_at.isoformat()}


def _view(claim: StewardClaim) -> ClaimView:
    return ClaimView(claim.id, claim.user.openid, claim.name, claim.phone, claim.alley, claim.status,
                     aware(claim.created_at))


def may_decide(user: User | None, alley: str, config: AppConfig) -> bool:
    """Whoever answers for the alley (bot/accounts/authority.py) decides for its stewards."""
    return answers_for_alley(user, alley, config)


def deciders(s: Session, alley: str, config: AppConfig) -> list[User]:
    """Who decides for an alley (applications, patrol confirmations): its chiefs, else its office's staff."""
    users = list(s.scalars(select(User).where(User.role.in_(("chief", "staff")), User.subscribed.is_(True))
                           .order_by(User.id)))
    chiefs = [u for u in users if u.role == "chief" and may_decide(u, alley, config)]
    return chiefs or [u for u in users if u.role == "staff" and may_decide(u, alley, config)]


def _owe_claim_notices(s: Session, claim: StewardClaim, config: AppConfig) -> list[int]:
    """The notices a claim's new state owes, written in the same transaction as the state (the outbox)."""
    if claim.status == "pending":
        owed = [owe(s, u.id, f"claim:{claim.id}:pending:{u.openid}",
                    texts.claim_for_decider(claim.id, claim.name, claim.phone, claim.alley))
                for u in deciders(s, claim.alley, config)]
    elif claim.status in ("approved", "declined"):
        text = texts.claim_approved(claim.alley) if claim.status == "approved" else texts.claim_declined(claim.alley)
        owed = [owe(s, claim.user_id, f"claim:{claim.id}:{claim.status}:{claim.user.openid}", text)]
    else:
        owed = []
    return [n for n in owed if n is not None]


def _make_steward(s: Session, user: User, alley: str) -> None:
    """An approved membership makes a resident a steward (chiefs and staff keep their role)."""
    if user.role == "resident":
        user.role = "steward"
    if user.role == "steward" and user.duty_alley is None:
        user.duty_alley = s.scalar(select(Alley).where(Alley.name == alley))


def _approved_claims(query: Select[T], user_id: int | BindParameter[int]) -> Select[T]:
    """The query limited to the user's approved memberships, oldest first."""
    return query.where(StewardClaim.user_id == user_id, StewardClaim.status == "approved").order_by(StewardClaim.id)


# Asked at every 签到 and check-in word, residents' included: built once (building it cost more than running it).
_ALLEY_NAMES = _approved_claims(select(StewardClaim.alley), bindparam("user_id", type_=Integer))


class Stewards:
    def __init__(self, uow: UowFactory, config: AppConfig, enqueue: Enqueue) -> None:
        self._uow = uow
        self._config = config
        self._enqueue = enqueue

    @staticmethod
    def _approved(s: Session, user_id: int) -> list[StewardClaim]:
        return list(s.scalars(_approved_claims(select(StewardClaim), user_id)))

    def _member(self, s: Session, user: User | None, alley: str) -> tuple[User, StewardClaim | None]:
        """The user and their approved membership of ``alley`` (if any); refused for an unknown alley, or
        when they already claim as many alleys as a steward may."""
        if self._config.alley(alley) is None:
            raise StewardError("alley", f"unknown alley {alley}")
        if user is None:
            raise StewardError("unknown", "no such user")
        approved = self._approved(s, user.id)
        existing = next((c for c in approved if c.alley == alley), None)
        if existing is None and len(approved) >= self._config.points.max_alleys_per_steward:
            raise StewardError("too_many", f"{user.openid} already claims {len(approved)} alleys")
        return user, existing

    def apply(self, user_id: int, alley: str, name: str, phone: str | None = None) -> ClaimView:
        """A new application (or the pending one again); refused when the steward has claimed enough alleys."""
        with self._uow() as uow:
            s = uow.session
            user, existing = self._member(s, s.get(User, user_id), alley)
            if existing is not None:
                raise StewardError("already", f"{user.openid} is already a steward of {alley}")
            claim = s.scalar(select(StewardClaim).where(StewardClaim.user_id == user.id, StewardClaim.alley == alley,
                                                        StewardClaim.status == "pending"))
            if claim is None:
                claim = StewardClaim(user_id=user.id, alley=alley, name=name[:32], phone=phone, status="pending",
                                     created_at=datetime.now(UTC))
                s.add(claim)
                s.flush()
                new = True
            else:
                new = False
            if name.strip():
                user.display_name = name[:64]
            if phone:
                user.phone = phone
            owed = _owe_claim_notices(s, claim, self._config) if new else []
            view = _view(claim)
        if owed:
            self._enqueue("deliver_notices", notice_ids=owed)
        return view

    def appoint(self, openid: str, alley: str, name: str = "") -> ClaimView:
        """Make someone a steward of the alley directly (an administrator's ``users grant … steward``): the same
        approved membership, role and notice as an approved application; the pending application, if any, is
        the one approved. Appointing twice changes nothing."""
        with self._uow() as uow:
            s = uow.session
            user, existing = self._member(s, get_or_create_user(s, openid), alley)
            if existing is not None:
                return _view(existing)
            pending = select(StewardClaim).where(StewardClaim.user_id == user.id, StewardClaim.alley == alley,
                                                 StewardClaim.status == "pending")
            claim = s.scalar(pending.with_for_update(of=StewardClaim))
            if claim is None:
                shown = name or user.display_name or texts.STEWARD_NAME
                claim = StewardClaim(user_id=user.id, alley=alley, name=shown[:32],
                                     phone=user.phone, status="pending", created_at=datetime.now(UTC))
                s.add(claim)
            claim.status, claim.decided_by, claim.decided_at = "approved", "cli", datetime.now(UTC)
            _make_steward(s, user, alley)
            s.flush()
            owed = _owe_claim_notices(s, claim, self._config)
            view = _view(claim)
        self._enqueue("deliver_notices", notice_ids=owed)
        return view

    def decide(self, decider_id: int | None, claim_id: int, approve: bool, audit: Audit | None = None) -> ClaimView:
        """Approve (the user becomes a steward of the alley) or decline; no decider: staff at the command line."""
        with self._uow() as uow:
            s = uow.session
            claim = s.scalar(select(StewardClaim).where(StewardClaim.id == claim_id).with_for_update(of=StewardClaim))
            if claim is None:
                raise StewardError("not_found", f"no application {claim_id}")
            decider = s.get(User, decider_id) if decider_id is not None else None
            if decider_id is not None and not may_decide(decider, claim.alley, self._config):
                raise StewardError("forbidden", f"user {decider_id} may not decide on {claim.alley}")
            actor = decider.openid if decider is not None else "cli"
            if claim.status != "pending":
                raise StewardError("decided", f"application {claim_id} is {claim.status}")
            claim.status, claim.decided_by, claim.decided_at = ("approved" if approve else "declined"), actor, \
                datetime.now(UTC)
            if approve:
                _make_steward(s, claim.user, claim.alley)
            spec = self._config.alley(claim.alley)
            write_audit(s, audit, "steward_approve" if approve else "steward_decline", "steward", str(claim.id),
                        spec.street_office if spec else None, f"{claim.name}（{claim.alley}）")
            owed = _owe_claim_notices(s, claim, self._config)
            view = _view(claim)
        self._enqueue("deliver_notices", notice_ids=owed)
        return view

    def withdraw(self, user_id: int) -> list[str]:
        """Give up every claimed alley; the user is a resident again (their points stay theirs)."""
        with self._uow() as uow:
            s = uow.session
            user = s.get(User, user_id)
            if user is None:
                return []
            claims = self._approved(s, user.id)
            for claim in claims:
                claim.status, claim.decided_at = "withdrawn", datetime.now(UTC)
            if claims and user.role == "steward":
                user.role, user.duty_alley = "resident", None
            return [c.alley for c in claims]

    def alleys(self, user_id: int) -> list[str]:
        """The alleys this user patrols as an approved steward."""
        with self._uow.autocommit() as conn:  # names only, one read: asked at every 签到, by residents too
            return list(conn.scalars(_ALLEY_NAMES, {"user_id": user_id}))

    def find(self, status: str | None = None) -> list[ClaimView]:
        with self._uow() as uow:
            query = select(StewardClaim).order_by(StewardClaim.id)
            if status:
                query = query.where(StewardClaim.status == status)
            return [_view(c) for c in uow.session.scalars(query)]

    def claim(self, claim_id: int) -> ClaimView | None:
        with self._uow() as uow:
            claim = uow.session.get(StewardClaim, claim_id)
            return _view(claim) if claim else None

    def deciders(self, alley: str) -> list[str]:
        """Who is asked to approve: the alley's chiefs, else its street office's staff."""
        with self._uow() as uow:
            return [u.openid for u in deciders(uow.session, alley, self._config)]
