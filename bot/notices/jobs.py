"""Jobs of the notification outbox: delivery, retries, and the sweep that finishes what dead jobs left."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.core.jobs import job

if TYPE_CHECKING:
    import redis

    from bot.core.jobs import JobQueue
    from bot.notices.service import Notices

log = logging.getLogger(__name__)


class _EventLog(Protocol):
    """Where changes that owe notices are recorded (the 随手拍 events)."""

    def unnotified_events(self, older_than: timedelta, now: datetime | None = None) -> list[int]: ...


class _Expander(Protocol):
    def notify(self, event_id: int) -> object: ...


class Runtime(Protocol):
    """What these jobs use of the process's runtime (bot/runtime.py provides it)."""

    notices: Notices
    issues: _EventLog
    issue_notifier: _Expander
    jobs: JobQueue
    redis: redis.Redis
SWEEP_EVERY = timedelta(minutes=1)
UNNOTIFIED_GRACE = timedelta(seconds=30)  # an event younger than this still has its own job coming


@job("deliver_notices")
def deliver_notices(rt: Runtime, notice_ids: list[int]) -> None:
    """Push notices a change wrote into the outbox (each claimed, so running this twice sends nothing twice)."""
    rt.notices.deliver_all(notice_ids)


@job("deliver_notice")
def deliver_notice(rt: Runtime, notice_id: int, due: str) -> None:
    """Try a notice again after a transient failure (inline mode runs this at once, as of its due time)."""
    rt.notices.deliver(notice_id, now=max(datetime.now(UTC), datetime.fromisoformat(due)))


@job("sweep_outbox")
def sweep_outbox(rt: Runtime) -> None:
    """Finish what lost or killed jobs left: events never written out, notices owed, claims of dead workers."""
    for event_id in rt.issues.unnotified_events(older_than=UNNOTIFIED_GRACE):
        rt.issue_notifier.notify(event_id)
    due = rt.notices.recover()
    rt.notices.deliver_all(due)
    if due:
        log.info("outbox sweep delivered %d owed notices", len(due))
    schedule_sweep(rt)


def schedule_sweep(rt: Runtime, now: datetime | None = None) -> datetime | None:
    """Queue the next outbox sweep (every SWEEP_EVERY) unless another worker already queued that one."""
    if rt.jobs.inline:
        return None
    moment = now or datetime.now(UTC)
    step = int(SWEEP_EVERY.total_seconds())
    run = datetime.fromtimestamp((int(moment.timestamp()) // step + 1) * step, UTC)
    if not rt.redis.set(f"alleybot:sweep-outbox:{int(run.timestamp())}", "1", nx=True, ex=10 * step):
        return None
    rt.jobs.enqueue("sweep_outbox", at=run)
    return run
