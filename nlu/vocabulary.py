"""What the NLU needs to know of the world: alley names and the words of each problem category.

The bot builds this from its configuration; the NLU never reads the bot's config or settings itself, so it
stays a library with no knowledge of the application around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AlleyWords:
    name: str  # canonical
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Pattern:
    """A problem told in the resident's own words: one of ``things`` near one of ``states`` (路灯 … 不亮,
    墙上 … 喷了 … 电话), in either order. Residents rarely use the category's name; they say what happened
    to what."""

    things: tuple[str, ...]
    states: tuple[str, ...]


@dataclass(frozen=True)
class CategoryWords:
    code: str
    name: str
    keywords: tuple[str, ...]
    patterns: tuple[Pattern, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    alleys: tuple[AlleyWords, ...]
    categories: tuple[CategoryWords, ...]
    fingerprint: str  # changes whenever the words change: trained models are cached under it
    not_ours: tuple[str, ...] = ()  # subjects that are not the alleys' business (快递, 电费, 宽带 …)


@dataclass(frozen=True)
class NLUOptions:
    """How to run the NLU: which backend, where Rasa listens, where trained models are cached."""

    backend: str
    cache_dir: Path
    rasa_url: str | None = None
    rasa_token: str | None = None
