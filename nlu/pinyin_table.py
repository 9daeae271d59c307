"""Character → toneless pinyin, made once at training time and stored with the model.

pypinyin takes a third of a second to import; the table it yields for the CJK characters it knows loads
from the model cache in a few milliseconds.
"""

from __future__ import annotations


def build() -> dict[str, str]:
    from pypinyin import Style
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.style import convert

    table: dict[str, str] = {}
    for codepoint, readings in PINYIN_DICT.items():
        first = readings.split(",")[0]
        table[chr(codepoint)] = convert(first, Style.NORMAL, strict=False)
    return table
