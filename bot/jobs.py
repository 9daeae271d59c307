"""Background jobs: RQ workers against Redis in production, inline in the embedded default.

Jobs are looked up by name so that what is stored in Redis is a plain string plus JSON-safe arguments,
readable by any worker running any version of this module that still knows the name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import redis

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)
QUEUE_NAME = "alleybot"
SWEEP_EVERY = timedelta(minutes=1)
UNNOTIFIED_GRACE = timedelta(seconds=30)  # an event younger than this still has its own job coming

_REGISTRY: dict[str, Callable[..., None]] = {}
_worker_runtime: Runtime | None = None


def job(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        _REGISTRY[name] = fn
        return fn
    return register


def set_worker_runtime(rt: Runtime) -> None:
    """Give RQ-executed jobs the runtime of the worker process (``alleybot worker`` or a test's worker)."""
    global _worker_runtime
    _worker_runtime = rt


def run_job(name: str, kwargs: dict[str, Any]) -> None:
    """Entry point RQ calls: resolve the runtime once per worker process, then the job by name."""
    global _worker_runtime
    if _worker_runtime is None:
        from bot.runtime import Runtime
        from bot.settings import Settings

        _worker_runtime = Runtime.build(Settings.from_env())
    _REGISTRY[name](_worker_runtime, **kwargs)


class JobQueue:
    def __init__(self, client: redis.Redis, inline: bool, runtime: Runtime) -> None:
        self._inline = inline
        self._rt = runtime
        self._queue: Any = None
        if not inline:
            from rq import Queue

            self._queue = Queue(QUEUE_NAME, connection=client)

    @property
    def inline(self) -> bool:
        return self._inline

    def enqueue(self, name: str, at: datetime | None = None, **kwargs: Any) -> None:
        """Run a job now, or at ``at`` (RQ's scheduler; inline mode runs future jobs at once)."""
        if name not in _REGISTRY:
            raise KeyError(f"unknown job {name}")
        if at is not None and not self._inline and at > datetime.now(UTC):
            self._queue.enqueue_at(at, "bot.jobs.run_job", name, kwargs, job_timeout=300)
            return
        if self._inline:
            try:
                _REGISTRY[name](self._rt, **kwargs)
            except Exception:  # inline jobs must not break the caller, as a separate worker would not
                log.exception("inline job %s failed", name)
            return
        self._queue.enqueue("bot.jobs.run_job", name, kwargs, retry=None, job_timeout=300)


@job("deliver_reply")
def deliver_reply(rt: Runtime, openid: str, text: str, msg_key: str) -> None:
    """Send a reply that missed WeChat's passive-reply deadline, and note the outcome on the message."""
    result = rt.messenger.deliver_text(openid, text)
    outcome = "late" if result.status in ("sent", "template") else "late_failed"
    rt.inbox.settle(msg_key, outcome, None if outcome == "late" else result.reason)
    log.info("late reply to %s: %s %s", openid, result.status, result.errcode or "")


@job("push_poll")
def push_poll(rt: Runtime, poll_id: int) -> None:
    """Invite the poll's audience inside WeChat's 48-hour window, each person once (from its opening time)."""
    from bot import texts

    for openid in rt.polls.push_audience(poll_id):
        poll = rt.polls.invite(openid, via="push", poll_id=poll_id)
        if poll is None:
            continue
        result = rt.messenger.deliver_text(openid, texts.poll_invitation(len(poll.questions)))
        log.info("poll %s invitation to %s: %s", poll_id, openid, result.status)


@job("fetch_issue_photo")
def fetch_issue_photo(rt: Runtime, photo_id: int) -> None:
    """Download, clean and store one photo of an issue (its MediaId expires after 3 days)."""
    result = rt.issue_photos.fetch(photo_id)
    log.info("issue photo %s: %s", photo_id, result.status)


@job("notify_issue")
def notify_issue(rt: Runtime, event_id: int) -> None:
    """Tell the people concerned about one change to an issue, each once."""
    rt.issue_notifier.notify(event_id)


@job("send_issue_thumbnail")
def send_issue_thumbnail(rt: Runtime, photo_id: int) -> None:
    """Show the handlers the first photo of a new ticket."""
    rt.issue_notifier.send_thumbnail(photo_id)


@job("remind_overdue")
def remind_overdue(rt: Runtime) -> None:
    """Remind chiefs of overdue issues (once a day each) and escalate them to the street staff; plan tomorrow."""
    count = rt.issues.remind_overdue()
    log.info("overdue reminders: %d issues", count)
    schedule_reminders(rt)


def schedule_reminders(rt: Runtime, now: datetime | None = None) -> datetime | None:
    """Queue the next daily overdue reminder (at ``reminder_hour`` Beijing time) unless a worker already did.

    A Redis key per run time makes the chain single however many workers start or restart. Inline mode has
    no scheduler (a future job would run at once), so there the CLI's ``issues overdue --remind`` is for cron.
    """
    if rt.jobs.inline:
        return None
    from bot.clock import BEIJING

    local = (now or datetime.now(UTC)).astimezone(BEIJING)
    run = local.replace(hour=rt.config.issues.reminder_hour, minute=0, second=0, microsecond=0)
    if run <= local:
        run += timedelta(days=1)
    if not rt.redis.set(f"alleybot:remind-overdue:{run.isoformat()}", "1", nx=True, ex=3 * 86400):
        return None
    rt.jobs.enqueue("remind_overdue", at=run.astimezone(UTC))
    return run


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


@job("rescore_patrols")
def rescore_patrols(rt: Runtime, openid: str, day: str, key: str) -> None:
    """A steward's report was accepted: that day's patrol earns its bonus (within the daily cap)."""
    rt.patrols.rescore_day(openid, day, key)


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
