"""Jobs of the webhook's own bookkeeping: a reply that missed WeChat's 5-second window, pruning the inbound log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.core.jobs import job, schedule_once

if TYPE_CHECKING:
    import redis

    from bot.accounts.inbox import Inbox
    from bot.core.jobs import JobQueue
    from bot.core.settings import Settings
    from bot.wechat.messenger import Messenger

log = logging.getLogger(__name__)


class Runtime(Protocol):
    """What these jobs use of the process's runtime (bot/runtime.py provides it)."""

    inbox: Inbox
    messenger: Messenger
    settings: Settings
    jobs: JobQueue
    redis: redis.Redis

PRUNE_HOUR_UTC = 20  # 04:00 in Beijing: the quietest hour of the inbound log


@job("deliver_reply")
def deliver_reply(rt: Runtime, openid: str, text: str, msg_key: str) -> None:
    """Send a reply that missed WeChat's passive-reply deadline, and note the outcome on the message."""
    result = rt.messenger.deliver_text(openid, text)
    outcome = "late" if result.status in ("sent", "template") else "late_failed"
    rt.inbox.settle(msg_key, outcome, None if outcome == "late" else result.reason)
    log.info("late reply to %s: %s %s", openid, result.status, result.errcode or "")


@job("prune_inbox")
def prune_inbox(rt: Runtime) -> None:
    """Delete inbound-log rows older than the retention (ALLEYBOT_INBOX_RETENTION_DAYS); plan tomorrow's run."""
    before = datetime.now(UTC) - timedelta(days=rt.settings.inbox_retention_days)
    log.info("inbound log: %d rows before %s deleted", rt.inbox.prune(before), before.date())
    schedule_pruning(rt)


def schedule_pruning(rt: Runtime, now: datetime | None = None) -> datetime | None:
    """Queue the next daily pruning unless a worker already did (one chain however many workers start).
    Inline mode has no scheduler: there `alleybot db prune-inbox` is for cron."""
    moment = now or datetime.now(UTC)
    run = moment.replace(hour=PRUNE_HOUR_UTC, minute=0, second=0, microsecond=0)
    if run <= moment:
        run += timedelta(days=1)
    return run if schedule_once(rt.jobs, rt.redis, "prune_inbox", run, 3 * 86400) else None
