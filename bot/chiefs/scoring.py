"""The scorecard's arithmetic: pure functions of a period's facts and config/assessment.yml's rules.

Nothing here reads a database or a clock: the same facts always give the same score, and the parts, each
rounded to one decimal, add up exactly to the score (the deduction is a part too, never taking it below 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core.config import AssessmentRules as Rules

PARTS = ("知情", "处置", "响应", "评价")
DEDUCTION = "扣分"
GRADES = ("优秀", "良好", "合格")
FAILED = "不合格"


@dataclass(frozen=True)
class Facts:
    """What happened in one alley in one period."""

    days: int  # days of the period counted (up to today for the current one)
    patrol_days: int  # days with a patrol in the 街巷长日志
    due: int  # tickets whose promised time fell in the period
    on_time: int  # of those, resolved by their promised time
    reopened: int  # tickets reopened in the period (a resident not satisfied, or staff)
    response_hours: Sequence[float]  # per ticket reported in the period: hours to the chief's first action
    ratings: Sequence[int]  # 3 / 2 / 1 of the tickets resolved in the period
    poll_mean: float | None  # the alley's poll answers in the period, 1–3
    overdue_at_end: int  # tickets still open past their promised time at the period's end


@dataclass(frozen=True)
class Scorecard:
    score: float
    grade: str
    parts: dict[str, float]  # part → points, the deduction negative; they add up to score
    not_applicable: list[str]  # parts left out (and the others scaled up)
    shares: dict[str, float]  # part → how much of it was earned, 0–1 (what the points come from)


def required_patrol_days(days: int, per_week: int) -> int:
    return max(1, math.ceil(days * per_week / 7))


def response_share(hours: float, full: float, zero: float) -> float:
    """1 within ``full`` hours, 0 from ``zero`` hours on, straight in between."""
    if hours <= full:
        return 1.0
    if hours >= zero:
        return 0.0
    return (zero - hours) / (zero - full)


def shares(facts: Facts, rules: Rules) -> dict[str, float | None]:
    """How much of each part was earned, 0–1, or None where the part does not apply."""
    knowing = min(1.0, facts.patrol_days / required_patrol_days(facts.days, rules.patrol_days_per_week))
    handling = None if facts.due <= 0 else max(0.0, min(1.0, (facts.on_time - facts.reopened) / facts.due))
    responding = None if not facts.response_hours else sum(
        response_share(h, rules.response_full_hours, rules.response_zero_hours)
        for h in facts.response_hours) / len(facts.response_hours)
    heard = [(sum(facts.ratings) / len(facts.ratings) - 1) / 2] if facts.ratings else []
    if facts.poll_mean is not None:
        heard.append((max(1.0, min(3.0, facts.poll_mean)) - 1) / 2)
    judging = sum(heard) / len(heard) if heard else None
    return {"知情": knowing, "处置": handling, "响应": responding, "评价": judging}


def grade_of(score: float, grades: Mapping[str, float]) -> str:
    for name in sorted(grades, key=lambda g: grades[g], reverse=True):
        if score >= grades[name]:
            return name
    return FAILED


def score(facts: Facts, rules: Rules) -> Scorecard:
    earned = shares(facts, rules)
    applicable = [p for p in PARTS if earned[p] is not None]
    total_weight = sum(rules.weights[p] for p in applicable)
    parts: dict[str, float] = {}
    for part in PARTS:
        share = earned[part]
        parts[part] = 0.0 if share is None else round(rules.weights[part] / total_weight * 100 * share, 1)
    # Parts rounded one by one can add up to 99.9 or 100.1 where nothing was lost: the largest takes the
    # difference, so that they add up to the score exactly.
    if all(earned[p] == 1.0 for p in applicable):
        largest = max(applicable, key=lambda p: parts[p])
        parts[largest] = round(parts[largest] + 100 - sum(parts.values()), 1)
    positive = round(sum(parts.values()), 1)
    deduction = min(rules.overdue_deduction_cap, rules.overdue_deduction * facts.overdue_at_end, positive)
    parts[DEDUCTION] = -round(deduction, 1)
    total = max(0.0, min(100.0, round(sum(parts.values()), 1)))
    return Scorecard(total, grade_of(total, rules.grades), parts,
                     [p for p in PARTS if earned[p] is None],
                     {p: round(s, 4) for p, s in earned.items() if s is not None})
