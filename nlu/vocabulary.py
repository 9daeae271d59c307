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
class CategoryWords:
    code: str
    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    alleys: tuple[AlleyWords, ...]
    categories: tuple[CategoryWords, ...]
    fingerprint: str  # changes whenever the words change: trained models are cached under it


@dataclass(frozen=True)
class NLUOptions:
    """How to run the NLU: which backend, where Rasa listens, where trained models are cached."""

    backend: str
    cache_dir: Path
    rasa_url: str | None = None
    rasa_token: str | None = None
