"""The points a patrol earns: base rate per hour, the steward multiplier, bonuses, a minimum and a daily cap.

Pure functions over plain values, so that a street office's rule change (config/rewards.yml) is a data change
and every rule is testable without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class RulesError(ValueError):
    """config/rewards.yml is wrong; ``entry`` names the field."""

    def __init__(self, entry: str, problem: str) -> None:
        self.entry, self.problem = entry, problem
        super().__init__(f"{entry}: {problem}")


@dataclass(frozen=True)
class Reward:
    code: str
    name: str
    cost: int
    stock: int


@dataclass(frozen=True)
class Rules:
    base_points_per_hour: int
    steward_multiplier: int
    min_patrol_minutes: int
    max_patrol_minutes: int
    daily_cap: int
    bonus_fix: int
    bonus_visit: int
    bonus_accepted_report: int
    geofence_meters: int
    max_alleys_per_steward: int
    catalogue: tuple[Reward, ...]

    def reward(self, text: str) -> Reward | None:
        """The catalogue item named in ``text`` (by name or code), longest name first."""
        for item in sorted(self.catalogue, key=lambda r: -len(r.name)):
            if item.name in text or item.code == text.strip().lower():
                return item
        return None


@dataclass(frozen=True)
class Patrol:
    minutes: int
    visits: int = 0
    fixes: int = 0
    accepted_reports: int = 0


def patrol_points(rules: Rules, patrol: Patrol, steward: bool = True) -> int:
    """Points for one patrol before the daily cap: whole hours pro rata (rounded down), bonuses added."""
    if patrol.minutes < rules.min_patrol_minutes:
        return 0
    minutes = min(patrol.minutes, rules.max_patrol_minutes)
    base = minutes * rules.base_points_per_hour // 60
    if steward:
        base *= rules.steward_multiplier
    bonus = (patrol.fixes * rules.bonus_fix + patrol.visits * rules.bonus_visit
             + patrol.accepted_reports * rules.bonus_accepted_report)
    return base + bonus


def within_cap(rules: Rules, earned_today_elsewhere: int, wanted: int) -> int:
    """How much of ``wanted`` still fits under the daily cap, given what the day already earned elsewhere."""
    return max(0, min(wanted, rules.daily_cap - earned_today_elsewhere))


def _int(data: Mapping[str, Any], key: str, low: int, high: int, entry: str | None = None) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise RulesError(entry or key, f"应为 {low} 到 {high} 之间的整数，实际是 {value!r}")
    return value


def parse_rules(data: Mapping[str, Any]) -> Rules:
    """Rules from the mapping in config/rewards.yml; RulesError names the first wrong field."""
    bonuses = data.get("bonuses") or {}
    if not isinstance(bonuses, dict):
        raise RulesError("bonuses", "应为映射 {fix_on_spot, visit, accepted_report}")
    raw = data.get("catalogue")
    if not isinstance(raw, list) or not raw:
        raise RulesError("catalogue", "应为非空列表")
    catalogue: list[Reward] = []
    for i, item in enumerate(raw):
        entry = f"catalogue[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("code"), str) or not isinstance(item.get("name"), str):
            raise RulesError(entry, "应为 {code, name, cost, stock}")
        if any(r.code == item["code"] for r in catalogue):
            raise RulesError(entry, f"code {item['code']} 重复")
        catalogue.append(Reward(item["code"], item["name"], _int(item, "cost", 1, 100000, f"{entry}.cost"),
                                _int(item, "stock", 0, 1000000, f"{entry}.stock")))
    rules = Rules(
        base_points_per_hour=_int(data, "base_points_per_hour", 0, 1000),
        steward_multiplier=_int(data, "steward_multiplier", 1, 10),
        min_patrol_minutes=_int(data, "min_patrol_minutes", 0, 600),
        max_patrol_minutes=_int(data, "max_patrol_minutes", 30, 1440),
        daily_cap=_int(data, "daily_cap", 1, 100000),
        bonus_fix=_int(bonuses, "fix_on_spot", 0, 1000, "bonuses.fix_on_spot"),
        bonus_visit=_int(bonuses, "visit", 0, 1000, "bonuses.visit"),
        bonus_accepted_report=_int(bonuses, "accepted_report", 0, 1000, "bonuses.accepted_report"),
        geofence_meters=_int(data, "geofence_meters", 10, 5000),
        max_alleys_per_steward=_int(data, "max_alleys_per_steward", 1, 50),
        catalogue=tuple(catalogue),
    )
    if rules.min_patrol_minutes > rules.max_patrol_minutes:
        raise RulesError("min_patrol_minutes", "不能大于 max_patrol_minutes")
    return rules
