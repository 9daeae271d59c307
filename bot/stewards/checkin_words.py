"""Reading a steward's check-in sentence: how long (两个小时, 1.5小时, 40分钟, 一个半小时), how many visits
(走访5户, 访了三家) and on-the-spot fixes (清了三处小广告, 劝走两辆车). Stewards type or dictate the way they speak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cn2an

_NUMBER = r"(\d+(?:\.\d+)?|[零一二两俩三四五六七八九十百]+)"


def chinese_number(text: str) -> float | None:
    """12, 1.5, 三, 十五, 二十, 两百, 俩 → a number; None when it is not one."""
    try:
        # cn2an reads numerals the way they are written (二十, 两百, 一百零五); 俩 is spoken Beijing for 两.
        return float(cn2an.cn2an(text.replace("俩", "两"), "smart"))
    except (ValueError, KeyError, IndexError):
        return None


@dataclass(frozen=True)
class CheckinWords:
    minutes: int | None
    visits: int | None
    fixes: int | None


_HOURS = re.compile(_NUMBER + r"\s*(个)?\s*(半)?\s*(小时|钟头|个钟|h)")
_HALF_HOUR = re.compile(r"半(个)?(小时|钟头)")
_MINUTES = re.compile(_NUMBER + r"\s*(分钟|分)")
_VISITS = re.compile(r"(走访|访了|访问|入户|拜访|走了)\s*(了)?\s*" + _NUMBER + r"\s*(户|家|个商户|个住户|位)")
_FIXES = re.compile(r"(清|清理|清除|撕|处理|劝|劝导|劝走|挪|挪走|拆|修|扶|扫|捡)(了|掉|走|好)?\s*" + _NUMBER
                    + r"\s*(处|个|辆|张|块|堆|起|件|次)")


def read_checkin(text: str) -> CheckinWords:
    minutes: float | None = None
    hours = _HOURS.search(text)
    if hours:
        value = chinese_number(hours.group(1))
        if value is not None:
            minutes = value * 60 + (30 if hours.group(3) else 0)
    elif _HALF_HOUR.search(text):
        minutes = 30
    extra = _MINUTES.search(text)
    if extra:
        value = chinese_number(extra.group(1))
        if value is not None:
            minutes = (minutes or 0) + value
    visits = _VISITS.search(text)
    fixes = _FIXES.findall(text)
    fixed = sum(int(chinese_number(f[2]) or 0) for f in fixes) if fixes else None
    return CheckinWords(
        minutes=int(minutes) if minutes is not None else None,
        visits=int(chinese_number(visits.group(3)) or 0) if visits else None,
        fixes=fixed,
    )
