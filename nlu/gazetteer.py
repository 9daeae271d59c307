"""Alley and category names found in free text, built from config so a new alley needs no code change."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.config import AppConfig


def spellings(name: str, aliases: tuple[str, ...]) -> set[str]:
    """Every way residents write an alley: the name, its aliases and their 儿化 forms (光明胡同儿)."""
    forms = {name, *aliases}
    return forms | {f + "儿" for f in forms}


@dataclass(frozen=True)
class Gazetteer:
    # (spelling, canonical) longest spelling first, so 东四块玉北街 wins over 四块玉
    alley_spellings: tuple[tuple[str, str], ...]
    alley_names: tuple[str, ...]
    category_keywords: tuple[tuple[str, str], ...]

    @classmethod
    def from_config(cls, config: AppConfig) -> Gazetteer:
        pairs = {(s, a.name) for a in config.alleys for s in spellings(a.name, a.aliases)}
        keywords = {(k, c.code) for c in config.categories for k in (c.name, *c.keywords) if c.code != "other"}
        return cls(
            tuple(sorted(pairs, key=lambda p: (-len(p[0]), p[0]))),
            tuple(a.name for a in config.alleys),
            tuple(sorted(keywords, key=lambda p: (-len(p[0]), p[0]))),
        )

    def find_alley(self, text: str) -> str | None:
        for spelling, name in self.alley_spellings:
            if spelling in text:
                return name
        return self._near_miss(text)

    def _near_miss(self, text: str) -> str | None:
        """Tolerate one wrong character in names of four or more (光明胡桶 from pinyin input)."""
        best: tuple[int, str] | None = None
        for name in self.alley_names:
            n = len(name)
            if n < 4:
                continue
            for start in range(0, max(0, len(text) - n) + 1):
                window = text[start:start + n]
                hits = sum(1 for a, b in zip(window, name, strict=False) if a == b)
                if len(window) == n and hits == n - 1 and (best is None or hits > best[0]):
                    best = (hits, name)
        return best[1] if best else None

    def candidates(self, text: str, limit: int = 5) -> list[str]:
        """Alleys a vague or ambiguous answer may mean (四块玉那边 → the three 四块玉 streets), best first."""
        def shared_run(name: str) -> int:
            best = 0
            for i in range(len(text)):
                for j in range(i + best + 1, len(text) + 1):
                    if text[i:j] in name:
                        best = j - i
                    else:
                        break
            return best

        scored = [(shared_run(name), difflib.SequenceMatcher(None, text, name).ratio(), name)
                  for name in self.alley_names]
        ranked = sorted((s for s in scored if s[0] >= 2 or s[1] >= 0.4), reverse=True)
        return [name for _, _, name in ranked[:limit]]

    def find_category(self, text: str) -> str | None:
        for keyword, code in self.category_keywords:
            if keyword in text:
                return code
        return None
