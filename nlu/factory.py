"""Choose the NLU backend: built-in (the embedded default) or Rasa with the built-in one as fallback."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nlu.interface import NLU
from nlu.vocabulary import NLUOptions, Vocabulary

if TYPE_CHECKING:
    from nlu import builtin

DATA_DIR = Path(__file__).resolve().parent / "data"


def make_builtin(options: NLUOptions, vocabulary: Vocabulary) -> builtin.BuiltinNLU:
    from nlu import builtin  # numpy and the model: imported when an NLU is made, not by every CLI command

    return builtin.load(vocabulary, DATA_DIR, options.cache_dir)


def make_nlu(options: NLUOptions, vocabulary: Vocabulary, backend: str | None = None) -> NLU:
    fallback = make_builtin(options, vocabulary)
    choice = (backend or options.backend).lower()
    if choice == "builtin":
        return fallback
    if choice == "rasa":
        from nlu.rasa_client import RasaNLU

        if not options.rasa_url:
            raise ValueError("NLU_BACKEND=rasa needs RASA_URL (for example http://127.0.0.1:5005)")
        return RasaNLU(options.rasa_url, fallback, token=options.rasa_token)
    raise ValueError(f"unknown NLU_BACKEND {choice!r}: use builtin or rasa")
