"""The points ledger in the database: append-only transfers (points.ledger builds and checks them).

``post`` runs inside the caller's transaction, so an award commits with the patrol it pays for, or not at all.
The balance rows of the accounts a transfer touches are locked in a fixed order (no deadlock between two
transfers) and the cached balances are checked: a volunteer never goes below zero, and the database's own
check constraint refuses it too. ``verify`` recomputes every balance from the entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.clock import aware
from bot.core.db import UnitOfWork
from bot.core.models import LedgerBalance, LedgerEntry, LedgerTransfer, User
from points.ledger import LedgerError, Leg, Transfer, overdrawn, user_account


@dataclass(frozen=True)
class EntryView:
    key: str
    kind: str
    amount: int  # for the account asked about
    memo: str
    day: str
    at: datetime


def _lock_balances(s: Session, accounts: list[str]) -> dict[str, LedgerBalance]:
    rows: dict[str, LedgerBalance] = {}
    for account in sorted(accounts):
        row = s.scalar(select(LedgerBalance).where(LedgerBalance.account == account).with_for_update())
        if row is None:
            try:
                with s.begin_nested():
                    s.add(LedgerBalance(account=account, balance=0))
            except IntegrityError:  # created by a concurrent transfer a moment ago
                pass
            row = s.scalar(select(LedgerBalance).where(LedgerBalance.account == account).with_for_update())
            assert row is not None
        rows[account] = row
    return rows


def post(s: Session, transfer: Transfer, user_id: int | None, day: str) -> bool:
    """Apply ``transfer`` once (False when its key was posted before); LedgerError when it would overdraw."""
    if s.scalar(select(LedgerTransfer.id).where(LedgerTransfer.key == transfer.key)) is not None:
        return False
    rows = _lock_balances(s, [leg.account for leg in transfer.legs])
    short = overdrawn({a: r.balance for a, r in rows.items()}, transfer)
    if short:
        raise LedgerError(f"{transfer.key}: not enough points in {', '.join(short)}")
    try:
        with s.begin_nested():
            row = LedgerTransfer(key=transfer.key, kind=transfer.kind, memo=transfer.memo, user_id=user_id, day=day,
                                 created_at=datetime.now(UTC))
            s.add(row)
            s.flush()
            for leg in transfer.legs:
                s.add(LedgerEntry(transfer_id=row.id, account=leg.account, amount=leg.amount))
            s.flush()
    except IntegrityError:  # the same key posted concurrently: that one counts
        return False
    for leg in transfer.legs:
        rows[leg.account].balance += leg.amount
    return True


def load(s: Session, key: str) -> Transfer | None:
    row = s.scalar(select(LedgerTransfer).where(LedgerTransfer.key == key))
    if row is None:
        return None
    return Transfer(row.key, row.kind, tuple(Leg(e.account, e.amount) for e in row.entries), row.memo)


class Ledger:
    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    def account_of(self, openid: str) -> str | None:
        """The ledger account of a user, None when nobody has this openid."""
        with self._uow() as uow:
            user_id = uow.session.scalar(select(User.id).where(User.openid == openid))
            return user_account(user_id) if user_id is not None else None

    def balance(self, account: str) -> int:
        with self._uow() as uow:
            return int(uow.session.scalar(select(LedgerBalance.balance).where(LedgerBalance.account == account)) or 0)

    def entries(self, account: str, limit: int = 50) -> list[EntryView]:
        with self._uow() as uow:
            rows = uow.session.execute(
                select(LedgerTransfer, LedgerEntry.amount)
                .join(LedgerEntry, LedgerEntry.transfer_id == LedgerTransfer.id)
                .where(LedgerEntry.account == account).order_by(LedgerTransfer.id.desc()).limit(limit))
            return [EntryView(t.key, t.kind, amount, t.memo, t.day, aware(t.created_at)) for t, amount in rows]

    def verify(self) -> list[str]:
        """Problems found: a transfer not summing to zero, a cached balance that differs from its entries."""
        problems: list[str] = []
        with self._uow() as uow:
            s = uow.session
            unbalanced = s.execute(select(LedgerEntry.transfer_id, func.sum(LedgerEntry.amount))
                                   .group_by(LedgerEntry.transfer_id).having(func.sum(LedgerEntry.amount) != 0))
            problems += [f"transfer {tid} sums to {total}" for tid, total in unbalanced]
            # (a Result has .keys(), so dict(result) would take it for a mapping)
            derived = {a: int(t or 0) for a, t in s.execute(select(LedgerEntry.account, func.sum(LedgerEntry.amount))
                                                            .group_by(LedgerEntry.account))}
            cached = {a: b for a, b in s.execute(select(LedgerBalance.account, LedgerBalance.balance))}
            for account in sorted(set(derived) | set(cached)):
                if int(derived.get(account) or 0) != int(cached.get(account) or 0):
                    problems.append(f"{account}: cached {cached.get(account)} but entries give {derived.get(account)}")
        return problems
