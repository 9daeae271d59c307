"""An NLU loaded on first use: a command that never reads free text (seed, users grant, issues list) does not
pay for the model and jieba's dictionary; the webhook loads it at start-up, before gunicorn forks."""

from __future__ import annotations

import threading
from collections.abc import Callable

from nlu.gazetteer import Gazetteer
from nlu.interface import NLU, Parse


class LazyNLU:
    def __init__(self, load: Callable[[], NLU]) -> None:
        self._load = load
        self._nlu: NLU | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._nlu is not None

    def get(self) -> NLU:
        if self._nlu is None:
            with self._lock:  # handler threads asking at once load it once
                if self._nlu is None:
                    self._nlu = self._load()
        return self._nlu

    @property
    def name(self) -> str:
        return self.get().name

    @property
    def gazetteer(self) -> Gazetteer:
        return self.get().gazetteer

    def parse(self, text: str) -> Parse:
        return self.get().parse(text)
