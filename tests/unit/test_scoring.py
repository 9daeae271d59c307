"""The scorecard's arithmetic (bot/chiefs/scoring.py): bounds, parts adding up, monotone where it must be,
nothing divided by zero, the seed's grade thresholds."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from bot.chiefs.scoring import DEDUCTION, PARTS, Facts, grade_of, score
from bot.core.config import AssessmentRules

RULES = AssessmentRules()


@st.composite
def facts(draw: st.DrawFn) -> Facts:
    days = draw(st.integers(1, 92))
    due = draw(st.integers(0, 60))
    on_time = draw(st.integers(0, due))
    return Facts(
        days=days, patrol_days=draw(st.integers(0, days)), due=due, on_time=on_time,
        reopened=draw(st.integers(0, due)),
        response_hours=draw(st.lists(st.floats(0, 500, allow_nan=False), max_size=30)),
        ratings=draw(st.lists(st.integers(1, 3), max_size=30)),
        poll_mean=draw(st.none() | st.floats(1, 3, allow_nan=False)),
        overdue_at_end=draw(st.integers(0, 20)))


@given(facts())
def test_a_score_is_0_to_100_with_one_decimal_and_its_parts_add_up(f: Facts) -> None:
    card = score(f, RULES)
    assert 0 <= card.score <= 100 and round(card.score, 1) == card.score
    assert abs(sum(card.parts.values()) - card.score) < 1e-9
    assert card.parts[DEDUCTION] <= 0 and set(card.parts) == {*PARTS, DEDUCTION}
    assert card.grade == grade_of(card.score, RULES.grades)
    assert score(f, RULES) == card  # the same facts, the same score


@given(facts(), st.integers(1, 10))
def test_more_on_time_never_lowers_the_score(f: Facts, more: int) -> None:
    better = replace(f, due=f.due + more, on_time=f.on_time + more)
    assert score(better, RULES).parts["处置"] >= score(f, RULES).parts["处置"] or f.due == 0


@given(facts())
def test_better_ratings_never_lower_the_score(f: Facts) -> None:
    if not f.ratings:
        return
    better = replace(f, ratings=[min(3, r + 1) for r in f.ratings])
    assert score(better, RULES).score >= score(f, RULES).score


@given(facts())
def test_a_quicker_response_never_lowers_the_score(f: Facts) -> None:
    quicker = replace(f, response_hours=[h / 2 for h in f.response_hours])
    assert score(quicker, RULES).score >= score(f, RULES).score


def test_a_quiet_period_is_scored_on_what_applies_and_says_so() -> None:
    quiet = Facts(days=7, patrol_days=5, due=0, on_time=0, reopened=0, response_hours=[], ratings=[],
                  poll_mean=None, overdue_at_end=0)
    card = score(quiet, RULES)
    assert card.not_applicable == ["处置", "响应", "评价"]
    assert card.score == 100.0 and card.parts["知情"] == 100.0 and card.grade == "优秀"
    lazy = score(replace(quiet, patrol_days=2), RULES)
    assert lazy.score == 40.0 and lazy.grade == "不合格"  # two days of the five required


def test_a_worked_example_from_docs_chiefs() -> None:
    """The example docs/chiefs.md works through by hand."""
    month = Facts(days=30, patrol_days=18, due=10, on_time=8, reopened=1, response_hours=[2, 3, 10, 26, 60],
                  ratings=[3, 3, 2, 1], poll_mean=2.5, overdue_at_end=1)
    card = score(month, RULES)
    # 知情 18/22 days, 处置 (8-1)/10, 响应 (1+1+38/44+22/44+0)/5, 评价 ((2.25-1)/2 + (2.5-1)/2)/2
    assert card.parts == {"知情": 20.5, "处置": 24.5, "响应": 13.5, "评价": 13.8, "扣分": -2.0}
    assert card.score == 70.3 and card.grade == "合格"


def test_the_seeds_grade_thresholds() -> None:
    assert [grade_of(s, RULES.grades) for s in (100, 90, 89.9, 80, 79.9, 60, 59.9, 0)] == [
        "优秀", "优秀", "良好", "良好", "合格", "合格", "不合格", "不合格"]
