"""Reading a chief's patrol sentence: how long they walked and which 十无 problems they found, each with how
many and whether it was dealt with on the spot (巡了40分钟，门口堆物一处已清，地锁两个). Chiefs type or dictate as
they speak; a clause that names no problem is kept in the note only."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.stewards.checkin_words import chinese_number, read_checkin

_CLAUSES = re.compile(r"[，,。；;！!？?\n]+|\s{2,}")
_COUNT = re.compile(r"(\d+|[一二两俩三四五六七八九十]+)\s*(处|个|辆|张|块|堆|起|件|根|条|家|户|台|摊)")
_FIXED = re.compile(r"已(经)?(清|处理|整改|挪|拆|修|劝|撕|扫|捡|收|铲|解决|搞定|清理|清走|挪走|拆除)"
                    r"|(清|处理|整改|挪|拆|修|劝|撕|扫|捡|收|铲)(了|掉|走|好)|当场")
_NOTHING = re.compile(r"(没|无|未)(发现|看到|见)(问题|异常)?|一切正常|都挺好|没问题")


@dataclass(frozen=True)
class Found:
    category: str  # a 十无 code
    count: int
    fixed: bool  # dealt with on the spot (the chief's own words said so)


@dataclass(frozen=True)
class PatrolWords:
    minutes: int | None
    found: tuple[Found, ...]
    nothing_found: bool  # they said so: 没发现问题, 一切正常


def read_patrol(text: str, category_of: Callable[[str], str | None]) -> PatrolWords:
    """``category_of`` names the 十无 category a clause speaks of (the gazetteer's keywords), or None."""
    minutes = read_checkin(text).minutes
    found: list[Found] = []
    for clause in _CLAUSES.split(text):
        clause = clause.strip()
        if not clause:
            continue
        category = category_of(clause)
        if category is None or category == "other":
            continue
        count = _COUNT.search(clause)
        number = int(chinese_number(count.group(1)) or 1) if count else 1
        found.append(Found(category, max(1, min(number, 99)), _FIXED.search(clause) is not None))
    return PatrolWords(minutes, tuple(found), not found and _NOTHING.search(text) is not None)
