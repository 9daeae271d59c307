"""定期公开: on the first of each month, last month's figures of each alley that asked for it go to its
residents as a notice (the broadcast machinery: its audience, its outbox, its delivery report).

Each alley and month is claimed in the database before the notice is written (at most once: a claim whose
notice then failed is logged and can be sent again from the console), so two workers never send it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update

from bot.broadcasts.service import BroadcastError, Broadcasts, Target
from bot.chiefs import texts
from bot.chiefs.ledger import AlleyLedgers
from bot.core.audit import Audit, write_audit
from bot.core.clock import BEIJING
from bot.core.config import AppConfig
from bot.core.db import UnitOfWork
from bot.core.models import ProgressNotice

log = logging.getLogger(__name__)


def previous_month(now: datetime) -> str:
    first = now.astimezone(BEIJING).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


class ProgressNotices:
    def __init__(self, uow: Callable[[], UnitOfWork], config: AppConfig, ledgers: AlleyLedgers,
                 broadcasts: Broadcasts) -> None:
        self._uow = uow
        self._config = config
        self._ledgers = ledgers
        self._broadcasts = broadcasts

    def switch(self, alley: str, enabled: bool, audit: Audit | None = None) -> None:
        """Turn the monthly notice of an alley on or off (the console checks the alley is in scope)."""
        spec = self._config.alley(alley)
        if spec is None:
            raise LookupError(alley)
        with self._uow() as uow:
            s = uow.session
            row = s.scalar(select(ProgressNotice).where(ProgressNotice.alley == alley))
            if row is None:
                row = ProgressNotice(alley=alley, enabled=enabled, updated_at=datetime.now(UTC))
                s.add(row)
            row.enabled = enabled
            write_audit(s, audit, "progress_on" if enabled else "progress_off", "alley", alley, spec.street_office)

    def enabled(self, alleys: Sequence[str]) -> set[str]:
        with self._uow() as uow:
            return set(uow.session.scalars(select(ProgressNotice.alley).where(
                ProgressNotice.alley.in_(list(alleys)), ProgressNotice.enabled.is_(True))))

    def text(self, alley: str, month: str) -> str:
        doc = self._ledgers.ledger(alley, month).as_json()["month"]
        return texts.progress_notice(alley, month, doc["received"], doc["resolved"], doc["on_time_rate"],
                                     doc["satisfaction_rate"])

    def send_due(self, now: datetime | None = None) -> list[int]:
        """Send last month's notice of every alley that wants one and has not had it: the broadcasts' ids."""
        month = previous_month(now or datetime.now(UTC))
        sent = []
        with self._uow() as uow:
            due = list(uow.session.scalars(select(ProgressNotice.alley).where(
                ProgressNotice.enabled.is_(True),
                or_(ProgressNotice.last_month.is_(None), ProgressNotice.last_month < month))))
        for alley in due:
            with self._uow() as uow:  # the claim: one worker wins each alley and month
                claimed = uow.session.execute(update(ProgressNotice).where(
                    ProgressNotice.alley == alley, ProgressNotice.enabled.is_(True),
                    or_(ProgressNotice.last_month.is_(None), ProgressNotice.last_month < month))
                    .values(last_month=month)).rowcount  # type: ignore[attr-defined]
            if not claimed:
                continue
            try:
                sent.append(self._broadcasts.create(None, Target((alley,)), self.text(alley, month)).id)
            except BroadcastError:
                log.exception("the %s progress notice of %s was claimed but not written", month, alley)
        return sent


