"""Double-entry points ledger, pure: every movement of points is a transfer whose legs sum to zero.

Accounts are strings. ``user:<id>`` is a volunteer's balance and may never go below zero. ``issuer:volunteer``
is where awarded points come from (its balance is minus everything ever awarded), ``escrow:redemptions``
holds points reserved for a redemption until staff fulfil it (→ ``sink:redeemed``) or cancel it (→ back to
the user). Nothing is ever updated: a correction is a reversing transfer. ``Book`` applies transfers in
memory with the same checks the database service makes, so the rules can be tested on their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

ISSUER = "issuer:volunteer"
ESCROW = "escrow:redemptions"
REDEEMED = "sink:redeemed"


class LedgerError(ValueError):
    """A transfer that would break the ledger: unbalanced, empty, or overdrawing a user."""


def user_account(user_id: int) -> str:
    return f"user:{user_id}"


def may_go_negative(account: str) -> bool:
    return account.startswith("issuer:")


@dataclass(frozen=True)
class Leg:
    account: str
    amount: int


@dataclass(frozen=True)
class Transfer:
    key: str  # idempotency key: the same key twice is the same transfer, applied once
    kind: str  # award | correction | reserve | fulfil | refund
    legs: tuple[Leg, ...]
    memo: str = ""

    def __post_init__(self) -> None:
        if len(self.legs) < 2 or any(leg.amount == 0 for leg in self.legs):
            raise LedgerError(f"{self.key}: a transfer needs two or more non-zero legs")
        if sum(leg.amount for leg in self.legs) != 0:
            raise LedgerError(f"{self.key}: legs sum to {sum(leg.amount for leg in self.legs)}, not 0")
        if len({leg.account for leg in self.legs}) != len(self.legs):
            raise LedgerError(f"{self.key}: an account appears twice")


def award(key: str, account: str, points: int, memo: str = "") -> Transfer:
    return Transfer(key, "award", (Leg(ISSUER, -points), Leg(account, points)), memo)


def reverse(key: str, original: Transfer, memo: str = "") -> Transfer:
    """The transfer that undoes ``original`` (a correction), leg by leg."""
    return Transfer(key, "correction", tuple(Leg(leg.account, -leg.amount) for leg in original.legs),
                    memo or f"冲正 {original.key}")


def correction(key: str, account: str, points: int, memo: str = "") -> Transfer:
    """Take back (points < 0) or add (points > 0) points after an amended record."""
    return Transfer(key, "correction", (Leg(ISSUER, -points), Leg(account, points)), memo)


def reserve(key: str, account: str, cost: int, memo: str = "") -> Transfer:
    return Transfer(key, "reserve", (Leg(account, -cost), Leg(ESCROW, cost)), memo)


def fulfil(key: str, cost: int, memo: str = "") -> Transfer:
    return Transfer(key, "fulfil", (Leg(ESCROW, -cost), Leg(REDEEMED, cost)), memo)


def refund(key: str, account: str, cost: int, memo: str = "") -> Transfer:
    return Transfer(key, "refund", (Leg(ESCROW, -cost), Leg(account, cost)), memo)


def balances(transfers: Iterable[Transfer]) -> dict[str, int]:
    """Every account's balance, derived from the transfers alone."""
    out: dict[str, int] = {}
    for transfer in transfers:
        for leg in transfer.legs:
            out[leg.account] = out.get(leg.account, 0) + leg.amount
    return out


def overdrawn(current: dict[str, int], transfer: Transfer) -> list[str]:
    """Accounts that ``transfer`` would take below zero (issuers excepted)."""
    return [leg.account for leg in transfer.legs
            if not may_go_negative(leg.account) and current.get(leg.account, 0) + leg.amount < 0]


@dataclass
class Book:
    """An in-memory ledger with the database service's rules: idempotent keys, no overdraft."""

    transfers: list[Transfer] = field(default_factory=list)
    _balances: dict[str, int] = field(default_factory=dict)
    _keys: set[str] = field(default_factory=set)

    def apply(self, transfer: Transfer) -> bool:
        """Apply once; False when the key was applied before. LedgerError when it would overdraw."""
        if transfer.key in self._keys:
            return False
        if overdrawn(self._balances, transfer):
            raise LedgerError(f"{transfer.key}: would overdraw {', '.join(overdrawn(self._balances, transfer))}")
        self.transfers.append(transfer)
        self._keys.add(transfer.key)
        for leg in transfer.legs:
            self._balances[leg.account] = self._balances.get(leg.account, 0) + leg.amount
        return True

    def balance(self, account: str) -> int:
        return self._balances.get(account, 0)
