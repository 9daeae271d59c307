"""Reading short answers the way residents type them: one normaliser for every numbered question.

"2", "２" (full-width), "2." "第2个" "2号" "二" "两" and "十三" all choose the same way; anything else is not a
number and the caller reads it as words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CHOICE = re.compile(r"^(?:第|选|选择)?\s*([0-9]+|十?[一二两三四五六七八九]|十)\s*(?:个|号|项|条|种)?$")


def tidy(text: str) -> str:
    """Full-width forms folded (NFKC), surrounding spaces and sentence punctuation dropped."""
    return unicodedata.normalize("NFKC", text).strip().strip("。.、，,！!~～ ")


_MEANINGFUL = re.compile(r"[0-9A-Za-z\u4e00-\u9fff]")


def says_something(text: str) -> bool:
    """Words, not only emoji or punctuation (👍, "。。。"): something a ticket or a notice can carry."""
    return _MEANINGFUL.search(text) is not None


def number(text: str) -> int | None:
    """The number a short answer says, or None when it is not just a number."""
    match = _CHOICE.match(tidy(text))
    if match is None:
        return None
    token = match.group(1)
    if token.isascii():
        return int(token)
    if token == "十":
        return 10
    return (10 if token.startswith("十") else 0) + _DIGITS[token[-1]]


def pick(text: str, options: Sequence[T]) -> T | None:
    """The option a numbered answer chooses (1-based), or None for no number or one off the list."""
    n = number(text)
    return options[n - 1] if n is not None and 1 <= n <= len(options) else None
