"""Jobs of 随手拍: photo downloads, notifications of ticket events, the daily overdue reminder."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.core.jobs import job

if TYPE_CHECKING:
    import redis

    from bot.core.config import AppConfig
    from bot.core.jobs import JobQueue
    from bot.issues.notify import IssueNotifier
    from bot.issues.photos import IssuePhotos
    from bot.issues.service import Issues

log = logging.getLogger(__name__)


class Runtime(Protocol):
    """What these jobs use of the process's runtime (bot/runtime.py provides it)."""

    config: AppConfig
    issues: Issues
    issue_photos: IssuePhotos
    issue_notifier: IssueNotifier
    jobs: JobQueue
    redis: redis.Redis


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
    from bot.core.clock import BEIJING

    local = (now or datetime.now(UTC)).astimezone(BEIJING)
    run = local.replace(hour=rt.config.issues.reminder_hour, minute=0, second=0, microsecond=0)
    if run <= local:
        run += timedelta(days=1)
    if not rt.redis.set(f"alleybot:remind-overdue:{run.isoformat()}", "1", nx=True, ex=3 * 86400):
        return None
    rt.jobs.enqueue("remind_overdue", at=run.astimezone(UTC))
    return run
