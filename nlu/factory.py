"""Choose the NLU backend from settings: built-in (the embedded default) or Rasa with built-in fallback."""

from __future__ import annotations

from pathlib import Path

from bot.config import AppConfig
from bot.settings import Settings
from nlu import builtin
from nlu.interface import NLU

DATA_DIR = Path(__file__).resolve().parent / "data"


def make_builtin(settings: Settings, config: AppConfig) -> builtin.BuiltinNLU:
    return builtin.load(config, DATA_DIR, settings.nlu_cache_dir)


def make_nlu(settings: Settings, config: AppConfig, backend: str | None = None) -> NLU:
    fallback = make_builtin(settings, config)
    choice = (backend or settings.nlu_backend).lower()
    if choice == "builtin":
        return fallback
    if choice == "rasa":
        from nlu.rasa_client import RasaNLU

        if not settings.rasa_url:
            raise ValueError("NLU_BACKEND=rasa needs RASA_URL (for example http://127.0.0.1:5005)")
        return RasaNLU(settings.rasa_url, fallback, token=settings.rasa_token)
    raise ValueError(f"unknown NLU_BACKEND {choice!r}: use builtin or rasa")
