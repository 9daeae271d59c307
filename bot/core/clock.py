"""Time as the project keeps it: UTC in the database, Beijing time for days, deadlines and what people read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import overload

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


@overload
def aware(moment: datetime) -> datetime: ...


@overload
def aware(moment: None) -> None: ...


def aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored value is UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def beijing_day(moment: datetime | None = None) -> str:
    """YYYY-MM-DD of ``moment`` (default now) in Beijing: a patrol's day, a ledger day, a reminder's day."""
    return (moment or datetime.now(UTC)).astimezone(BEIJING).date().isoformat()
