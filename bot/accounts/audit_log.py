"""Reading the console's audit log (rows are written by each service with the change they record)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.core.audit import Audit, write_audit
from bot.core.clock import aware
from bot.core.db import UnitOfWork
from bot.core.models import Alley, AuditEntry, User


@dataclass(frozen=True)
class AuditView:
    at: datetime
    actor: str  # the person's name if they gave one, else their role and alley: never an openid
    action: str
    object_kind: str
    object_ref: str
    detail: str | None
    ip: str | None


class AuditLog:
    def __init__(self, uow: Callable[[], UnitOfWork], role_labels: dict[str, str]) -> None:
        self._uow = uow
        self._labels = role_labels

    def record(self, audit: Audit, action: str, detail: str | None = None) -> None:
        """An action that changes nothing else (logging in or out): its own small transaction. The row carries
        the person's street office, so their office's staff see it."""
        with self._uow() as uow:
            user = uow.session.get(User, audit.actor_id)
            office = user.duty_alley.street_office if user is not None and user.duty_alley else None
            write_audit(uow.session, audit, action, "person", str(audit.actor_id), office, detail)

    @staticmethod
    def _where(query: Any, offices: Sequence[str] | None, action: str | None, since: datetime | None,
               until: datetime | None) -> Any:
        if offices is not None:
            query = query.where(AuditEntry.street_office.in_(list(offices)))
        if action:
            query = query.where(AuditEntry.action == action)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        if until is not None:
            query = query.where(AuditEntry.at < until)
        return query

    def recent(self, offices: Sequence[str] | None, limit: int | None = 100, offset: int = 0,
               action: str | None = None, since: datetime | None = None,
               until: datetime | None = None) -> list[AuditView]:
        """The newest entries about objects of these street offices (None: all), newest first, narrowed to an
        action and a time range when given."""
        with self._uow() as uow:
            query = (select(AuditEntry, User.display_name, User.role, Alley.name)
                     .outerjoin(User, User.id == AuditEntry.actor_id)
                     .outerjoin(Alley, Alley.id == User.duty_alley_id)
                     .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset))
            query = self._where(query, offices, action, since, until)
            return [AuditView(aware(e.at), name or " · ".join(x for x in (self._labels.get(role or ""), alley) if x),
                              e.action, e.object_kind, e.object_ref, e.detail, e.ip)
                    for e, name, role, alley in uow.session.execute(query)]

    def count(self, offices: Sequence[str] | None, action: str | None = None, since: datetime | None = None,
              until: datetime | None = None) -> int:
        with self._uow() as uow:
            query = self._where(select(func.count()).select_from(AuditEntry), offices, action, since, until)
            return int(uow.session.scalar(query) or 0)
