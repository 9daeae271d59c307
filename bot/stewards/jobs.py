"""Jobs of 小巷管家: rescoring a day's patrols when a report of that day is accepted."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from bot.core.jobs import job

if TYPE_CHECKING:
    from bot.stewards.patrols import Patrols

log = logging.getLogger(__name__)


class Runtime(Protocol):
    """What these jobs use of the process's runtime (bot/runtime.py provides it)."""

    patrols: Patrols


@job("rescore_patrols")
def rescore_patrols(rt: Runtime, openid: str, day: str, key: str) -> None:
    """A steward's report was accepted: that day's patrol earns its bonus (within the daily cap)."""
    rt.patrols.rescore_day(openid, day, key)
