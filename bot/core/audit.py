"""The console's audit trail: a service that changes something for a console request writes one row of who,
what, which object, when and from where, in the same transaction as the change (never a claim of a change
that was rolled back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bot.core.models import AuditEntry


@dataclass(frozen=True)
class Audit:
    """Where a change comes from: the console's logged-in person and the request's address."""

    actor_id: int
    ip: str | None


def write_audit(session: Session, audit: Audit | None, action: str, object_kind: str, object_ref: str,
                street_office: str | None, detail: str | None = None) -> None:
    """Add the audit row to the caller's transaction (nothing when the change does not come from the console)."""
    if audit is None:
        return
    session.add(AuditEntry(at=datetime.now(UTC), actor_id=audit.actor_id, action=action, object_kind=object_kind,
                           object_ref=object_ref[:64], street_office=street_office,
                           detail=(detail or None) and detail[:2000], ip=(audit.ip or None) and audit.ip[:64]))
