"""Jobs of the 街巷长 feature: the monthly progress notices (定期公开)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.core.clock import BEIJING
from bot.core.jobs import job, schedule_once

if TYPE_CHECKING:
    import redis

    from bot.chiefs.progress import ProgressNotices
    from bot.core.jobs import JobQueue

log = logging.getLogger(__name__)
PROGRESS_HOUR = 9  # Beijing time on the first of the month


class Runtime(Protocol):
    progress_notices: ProgressNotices
    jobs: JobQueue
    redis: redis.Redis


@job("send_progress_notices")
def send_progress_notices(rt: Runtime) -> None:
    """Send last month's figures of the alleys that asked for them; plan the next month's run."""
    sent = rt.progress_notices.send_due()
    log.info("progress notices: %d broadcasts", len(sent))
    schedule_progress_notices(rt)


def schedule_progress_notices(rt: Runtime, now: datetime | None = None) -> datetime | None:
    """Queue the run of the next first of the month, 09:00 Beijing (one chain however many workers start)."""
    local = (now or datetime.now(UTC)).astimezone(BEIJING)
    first = local.replace(day=1, hour=PROGRESS_HOUR, minute=0, second=0, microsecond=0)
    if first <= local:
        first = (first + timedelta(days=32)).replace(day=1)
    return first if schedule_once(rt.jobs, rt.redis, "send_progress_notices", first, 40 * 86400) else None
