"""Points rules and the double-entry ledger, without a database; and the ledger property (hypothesis)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from points.ledger import (
    ESCROW,
    ISSUER,
    REDEEMED,
    Book,
    LedgerError,
    Leg,
    Transfer,
    award,
    balances,
    fulfil,
    may_go_negative,
    refund,
    reserve,
    reverse,
    user_account,
)
from points.rules import Patrol, RulesError, parse_rules, patrol_points, within_cap

CONFIG = Path(__file__).resolve().parents[2] / "config" / "rewards.yml"
RULES = parse_rules(yaml.safe_load(CONFIG.read_text(encoding="utf-8")))


def test_a_steward_earns_double_the_volunteer_rate() -> None:
    two_hours = Patrol(minutes=120)
    assert patrol_points(RULES, two_hours, steward=False) == 2 * RULES.base_points_per_hour
    assert patrol_points(RULES, two_hours, steward=True) == 2 * RULES.base_points_per_hour * RULES.steward_multiplier


def test_bonuses_minimum_and_longest_patrol() -> None:
    busy = Patrol(minutes=60, visits=4, fixes=3, accepted_reports=2)
    assert patrol_points(RULES, busy) == (RULES.base_points_per_hour * RULES.steward_multiplier
                                          + 4 * RULES.bonus_visit + 3 * RULES.bonus_fix
                                          + 2 * RULES.bonus_accepted_report)
    assert patrol_points(RULES, Patrol(minutes=RULES.min_patrol_minutes - 1, fixes=5)) == 0
    assert patrol_points(RULES, Patrol(minutes=24 * 60)) == patrol_points(RULES, Patrol(RULES.max_patrol_minutes))


def test_the_daily_cap_counts_what_the_day_already_earned() -> None:
    assert within_cap(RULES, 0, 10) == 10
    assert within_cap(RULES, RULES.daily_cap - 4, 10) == 4
    assert within_cap(RULES, RULES.daily_cap + 5, 10) == 0


def test_rules_change_by_config() -> None:
    data = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    data["steward_multiplier"] = 3
    assert patrol_points(parse_rules(data), Patrol(60)) == 3 * RULES.base_points_per_hour
    data["daily_cap"] = "lots"
    with pytest.raises(RulesError, match="daily_cap"):
        parse_rules(data)


def test_a_transfer_must_balance() -> None:
    with pytest.raises(LedgerError):
        Transfer("k", "award", (Leg(ISSUER, -5), Leg("user:1", 4)))
    with pytest.raises(LedgerError):
        Transfer("k", "award", (Leg("user:1", 0), Leg(ISSUER, 0)))


def test_redeem_then_fulfil_or_refund() -> None:
    book, me = Book(), user_account(1)
    book.apply(award("a", me, 50))
    book.apply(reserve("r", me, 40))
    assert (book.balance(me), book.balance(ESCROW)) == (10, 40)
    with pytest.raises(LedgerError):
        book.apply(reserve("r2", me, 40))
    book.apply(fulfil("f", 40))
    assert book.balance(REDEEMED) == 40 and book.balance(ESCROW) == 0
    assert not book.apply(award("a", me, 50))  # the same key again: nothing


OPS = st.lists(st.tuples(st.sampled_from(["award", "redeem", "fulfil", "refund", "reverse"]),
                         st.integers(min_value=1, max_value=3), st.integers(min_value=1, max_value=80)),
               max_size=40)


@settings(max_examples=300, deadline=None)
@given(OPS)
def test_any_sequence_keeps_every_transfer_balanced_and_no_user_negative(ops: list[tuple[str, int, int]]) -> None:
    book = Book()
    reserved: list[tuple[int, int]] = []  # (user, cost) in escrow
    for n, (op, user, amount) in enumerate(ops):
        account = user_account(user)
        try:
            if op == "award":
                book.apply(award(f"award-{n}", account, amount))
            elif op == "redeem":
                if book.apply(reserve(f"reserve-{n}", account, amount)):
                    reserved.append((user, amount))
            elif op in ("fulfil", "refund") and reserved:
                owner, cost = reserved.pop(0)
                book.apply(fulfil(f"fulfil-{n}", cost) if op == "fulfil"
                           else refund(f"refund-{n}", user_account(owner), cost))
            elif op == "reverse":  # a correction takes back an award (the points may be spent: then refused)
                awards = [t for t in book.transfers if t.kind == "award"]
                if awards:
                    book.apply(reverse(f"reverse-{n}", awards[amount % len(awards)]))
        except LedgerError:
            pass  # refused as a whole: an overdraft never half-applies
        for transfer in book.transfers:
            assert sum(leg.amount for leg in transfer.legs) == 0
        derived = balances(book.transfers)
        assert all(v >= 0 for a, v in derived.items() if not may_go_negative(a)), derived
        assert sum(derived.values()) == 0
        assert derived.get(ESCROW, 0) == sum(cost for _, cost in reserved)
