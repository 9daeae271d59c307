"""The alleys' database rows, read once per process and looked up by name or id without a query.

Nearly every message needs an alley's id or name (the arrival names the sender's alleys, binding sets one), and
the alleys change only through `alleybot seed`. A running webhook reads config/ at start, so an edited alley
reaches it with a restart either way. A name or id not in memory (an alley seeded since, or a stale QR code's
name) reads the rows again: one small query, on a path that is rare.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.core.db import UowFactory
from bot.core.models import Alley


class AlleyRows:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow
        self._by_id: dict[int, Any] = {}
        self._by_name: dict[str, Any] = {}

    def _reload(self) -> None:
        with self._uow.autocommit() as conn:
            rows = list(conn.execute(select(Alley.__table__)))
        # Replaced whole, never changed in place: the webhook's threads read them without a lock.
        self._by_id, self._by_name = {r.id: r for r in rows}, {r.name: r for r in rows}

    def by_name(self, name: str) -> Any | None:
        """The alley's row (id, name, aliases, district, street_office, chief_name, center, polyline)."""
        if name not in self._by_name:
            self._reload()
        return self._by_name.get(name)

    def name_of(self, alley_id: int | None) -> str | None:
        if alley_id is None:
            return None
        if alley_id not in self._by_id:
            self._reload()
        row = self._by_id.get(alley_id)
        return str(row.name) if row is not None else None
