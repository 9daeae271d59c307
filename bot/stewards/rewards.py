"""Redeeming points for services (理发券, 洗浴券, …): reserve, then staff fulfil or cancel (refund).

Reserving takes one from stock with a single conditional UPDATE (two people racing for the last one: exactly
one gets it) and moves the cost into escrow in the same transaction; a balance too small rolls both back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core.audit import Audit, write_audit
from bot.core.clock import aware, beijing_day
from bot.core.config import AppConfig
from bot.core.db import UnitOfWork
from bot.core.models import LedgerBalance, Redemption, RewardItem, StewardClaim, User
from bot.stewards import ledger, texts
from points.ledger import LedgerError, fulfil, refund, reserve, user_account


class RedeemError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code  # unknown | out_of_stock | balance | not_found | decided
        super().__init__(message)


@dataclass(frozen=True)
class PendingRedemption:
    id: int
    steward: str
    alley: str
    reward: str
    cost: int
    created_at: datetime


@dataclass(frozen=True)
class RedemptionView:
    id: int
    reward: str
    cost: int
    status: str
    balance: int

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "reward": self.reward, "cost": self.cost, "status": self.status,
                "balance": self.balance}


class Rewards:
    def __init__(self, uow: Callable[[], UnitOfWork], config: AppConfig) -> None:
        self._uow = uow
        self._config = config

    def seed(self) -> int:
        """Put config/rewards.yml's catalogue in the database: new items with their stock; names and costs
        updated; the stock of an existing item is left alone (it counts down as people redeem)."""
        added = 0
        with self._uow() as uow:
            for item in self._config.points.catalogue:
                row = uow.session.get(RewardItem, item.code)
                if row is None:
                    uow.session.add(RewardItem(code=item.code, name=item.name, cost=item.cost, stock=item.stock))
                    added += 1
                else:
                    row.name, row.cost = item.name, item.cost
        return added

    def catalogue(self) -> list[tuple[str, int, int]]:
        with self._uow() as uow:
            items = uow.session.scalars(select(RewardItem).order_by(RewardItem.cost))
            return [(r.name, r.cost, r.stock) for r in items]

    def redeem(self, user_id: int, code: str, key: str) -> RedemptionView:
        with self._uow() as uow:
            s = uow.session
            earlier = s.scalar(select(Redemption).where(Redemption.key == key))
            user = s.get(User, user_id)
            if user is None:
                raise RedeemError("balance", f"no user {user_id}")
            account = user_account(user.id)
            item = s.get(RewardItem, code)
            if item is None:
                raise RedeemError("unknown", f"no reward {code}")
            if earlier is not None:  # the same request again: the same answer
                return RedemptionView(earlier.id, item.name, earlier.cost, earlier.status, self._balance(s, account))
            taken = s.execute(update(RewardItem).where(RewardItem.code == code, RewardItem.stock > 0)
                              .values(stock=RewardItem.stock - 1))
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                raise RedeemError("out_of_stock", f"{code} is out of stock")
            redemption = Redemption(key=key, user_id=user.id, reward_code=code, cost=item.cost, status="reserved",
                                    created_at=datetime.now(UTC))
            s.add(redemption)
            s.flush()
            try:
                memo = texts.redeem_memo(item.name)
                ledger.post(s, reserve(f"redeem:{redemption.id}", account, item.cost, memo), user.id, beijing_day())
            except LedgerError as exc:  # leaving the unit of work by an exception rolls the stock back too
                raise RedeemError("balance", str(exc)) from exc
            return RedemptionView(redemption.id, item.name, item.cost, "reserved", self._balance(s, account))

    def pending(self, alleys: Sequence[str]) -> list[PendingRedemption]:
        """Rewards reserved by stewards of these alleys, waiting to be handed over or cancelled, oldest first."""
        scope = set(alleys)
        with self._uow() as uow:
            s = uow.session
            claims: dict[int, tuple[str, str]] = {}
            for uid, name, alley in s.execute(select(StewardClaim.user_id, StewardClaim.name, StewardClaim.alley)
                                              .order_by(StewardClaim.id)):
                claims[int(uid)] = (name, alley)  # their latest claim
            rows = s.execute(select(Redemption, RewardItem.name).join(RewardItem)
                             .where(Redemption.status == "reserved").order_by(Redemption.id))
            return [PendingRedemption(r.id, claims[r.user_id][0], claims[r.user_id][1], name, r.cost,
                                      aware(r.created_at))
                    for r, name in rows if r.user_id in claims and claims[r.user_id][1] in scope]

    def steward_alley(self, redemption_id: int) -> str | None:
        """The alley of the steward who reserved it (the console checks it lies in the person's scope)."""
        with self._uow() as uow:
            row = uow.session.get(Redemption, redemption_id)
            if row is None:
                return None
            return uow.session.scalar(select(StewardClaim.alley).where(StewardClaim.user_id == row.user_id)
                                      .order_by(StewardClaim.id.desc()))

    @staticmethod
    def _balance(s: Session, account: str) -> int:
        return int(s.scalar(select(LedgerBalance.balance).where(LedgerBalance.account == account)) or 0)

    def decide(self, redemption_id: int, give: bool, audit: Audit | None = None) -> RedemptionView:
        """Staff hand the reward over (fulfil) or cancel it (points back, stock back)."""
        with self._uow() as uow:
            s = uow.session
            row = s.scalar(select(Redemption).where(Redemption.id == redemption_id).with_for_update())
            if row is None:
                raise RedeemError("not_found", f"no redemption {redemption_id}")
            if row.status != "reserved":
                raise RedeemError("decided", f"redemption {redemption_id} is {row.status}")
            account = user_account(row.user_id)
            if give:
                ledger.post(s, fulfil(f"fulfil:{row.id}", row.cost, texts.FULFIL_MEMO), row.user_id, beijing_day())
                row.status = "fulfilled"
            else:
                ledger.post(s, refund(f"refund:{row.id}", account, row.cost, texts.REFUND_MEMO), row.user_id,
                            beijing_day())
                s.execute(update(RewardItem).where(RewardItem.code == row.reward_code)
                          .values(stock=RewardItem.stock + 1))
                row.status = "cancelled"
            row.decided_at = datetime.now(UTC)
            item = s.get(RewardItem, row.reward_code)
            alley = s.scalar(select(StewardClaim.alley).where(StewardClaim.user_id == row.user_id)
                             .order_by(StewardClaim.id.desc()))
            spec = self._config.alley(alley) if alley else None
            write_audit(s, audit, "redeem_give" if give else "redeem_cancel", "redemption", str(row.id),
                        spec.street_office if spec else None, item.name if item else row.reward_code)
            return RedemptionView(row.id, item.name if item else row.reward_code, row.cost, row.status,
                                  self._balance(s, account))
