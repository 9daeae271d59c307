"""The inbound-message log: one row per distinct WeChat delivery, with what became of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.db import UnitOfWork
from bot.models import InboundMessage


@dataclass(frozen=True)
class LogEntry:
    openid: str
    msg_key: str
    msg_type: str
    received_at: datetime
    outcome: str
    detail: str | None


class InboundLog:
    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    def seen(self, msg_key: str) -> bool:
        with self._uow() as uow:
            return uow.session.scalar(select(InboundMessage.id).where(InboundMessage.msg_key == msg_key)) is not None

    def record(self, openid: str, msg_key: str, msg_type: str, outcome: str, detail: str | None = None) -> bool:
        """Insert the row; False when the key was already there (a delivery that slipped past Redis)."""
        try:
            with self._uow() as uow:
                uow.session.add(InboundMessage(openid=openid, msg_key=msg_key, msg_type=msg_type,
                                               outcome=outcome, detail=detail))
        except IntegrityError:
            return False
        return True

    def set_outcome(self, msg_key: str, outcome: str, detail: str | None = None) -> None:
        with self._uow() as uow:
            row = uow.session.scalar(select(InboundMessage).where(InboundMessage.msg_key == msg_key))
            if row is not None:
                row.outcome = outcome
                row.detail = detail if detail is not None else row.detail

    def entries(self, openid: str | None = None) -> list[LogEntry]:
        with self._uow() as uow:
            query = select(InboundMessage).order_by(InboundMessage.id)
            if openid is not None:
                query = query.where(InboundMessage.openid == openid)
            return [LogEntry(r.openid, r.msg_key, r.msg_type, r.received_at, r.outcome, r.detail)
                    for r in uow.session.scalars(query)]
