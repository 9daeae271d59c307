"""Jobs of 发通知: delivering a notice's rows, and resuming after a killed worker."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from bot.core.jobs import job

if TYPE_CHECKING:
    from bot.broadcasts.service import Broadcasts
    from bot.core.jobs import JobQueue

log = logging.getLogger(__name__)


class Runtime(Protocol):
    """What these jobs use of the process's runtime (bot/runtime.py provides it)."""

    broadcasts: Broadcasts
    jobs: JobQueue


@job("send_broadcast")
def send_broadcast(rt: Runtime, broadcast_id: int) -> None:
    """Deliver a notice's pending rows (rate-limited, exactly once per person); safe to run again."""
    outcomes = rt.broadcasts.deliver(broadcast_id)
    log.info("broadcast %s: %s", broadcast_id, dict(outcomes))


def resume_broadcasts(rt: Runtime) -> list[int]:
    """At worker start: notices a killed worker left unfinished are queued again (nothing is sent twice)."""
    ids = rt.broadcasts.unfinished()
    for broadcast_id in ids:
        rt.broadcasts.recover(broadcast_id)
        rt.jobs.enqueue("send_broadcast", broadcast_id=broadcast_id)
    return ids
