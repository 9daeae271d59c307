"""Engine creation, Alembic upgrades and the unit of work that services use to own their transactions."""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"  # bot/migrations


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if url.startswith("sqlite") and path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _own_connections_after_fork(engine: Engine) -> Engine:
    """An RQ work horse is a fork of the worker: it must not use the parent's pooled connections (two
    processes on one PostgreSQL session gave DuplicatePreparedStatement). The child drops the inherited pool
    without closing the parent's sockets and opens its own. The engine is held weakly: runtimes built and
    dropped (tests) are not kept alive by the hook."""
    ref = weakref.ref(engine)

    def in_child() -> None:
        live = ref()
        if live is not None:
            live.dispose(close=False)

    os.register_at_fork(after_in_child=in_child)
    return engine


def make_engine(url: str, durable: bool = True) -> Engine:
    return _own_connections_after_fork(_make_engine(url, durable))


def _make_engine(url: str, durable: bool) -> Engine:
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets the webhook threads read while a job writes; foreign keys are off by default in SQLite.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    # No pre-ping (it costs a round trip per transaction); recycle connections before servers drop them.
    if durable:
        return create_engine(url, pool_recycle=1800, pool_size=5, max_overflow=10)
    # Bookkeeping: every statement commits alone, without waiting for the WAL flush, and a connection
    # going back to the pool needs no ROLLBACK because it never holds a transaction open.
    return create_engine(url, pool_recycle=1800, pool_size=5, max_overflow=10, isolation_level="AUTOCOMMIT",
                         pool_reset_on_return=None, connect_args={"options": "-c synchronous_commit=off"})


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


class UnitOfWork:
    """One transaction: commit on clean exit, roll back on an exception."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._factory = session_factory
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if exc_type is None:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()


class UowFactory:
    """Makes units of work (call it), or bookkeeping connections (``.autocommit()``).

    Bookkeeping rows (the inbound-message log, last-seen times) are written one statement at a time on a
    second engine in autocommit mode whose PostgreSQL sessions have ``synchronous_commit=off``: a database
    crash may lose the last fraction of a second of them but never corrupts anything, and each write is a
    single round trip. Business data (issues, points) always goes through durable units of work.
    """

    def __init__(self, engine: Engine, bookkeeping_engine: Engine | None = None) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._bookkeeping_engine = bookkeeping_engine

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)

    def dispose_after_fork(self) -> None:
        """In a forked worker: forget the parent's pooled connections without closing them under it."""
        for engine in (self._engine, self._bookkeeping_engine):
            if engine is not None:
                engine.dispose(close=False)

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def database(self) -> str:
        """Which database this writes to: its backend and name (the same database reached through another
        address, a proxy say, is the same)."""
        return f"{self._engine.url.get_backend_name()}:{self._engine.url.database}"

    def transaction(self) -> AbstractContextManager[Connection]:
        """A core connection inside one transaction (committed on leaving, rolled back on an exception)."""
        return self._engine.begin()

    def bookkeeping_row(self, sql: str, params: Mapping[str, Any]) -> Any:
        """Run one bookkeeping statement (PostgreSQL, psycopg placeholders) and return its first row or None.

        It goes straight to the driver on a pooled connection: SQLAlchemy's work around a statement (execution
        context, events, result metadata) costs ~165 µs of CPU against ~60 µs for psycopg alone, and the
        arrival runs once per message. Autocommit with synchronous_commit=off, as all bookkeeping; a connection
        the driver reports broken leaves the pool instead of being handed out again."""
        if self._bookkeeping_engine is None:
            raise RuntimeError("bookkeeping_row needs PostgreSQL")
        pooled = self._bookkeeping_engine.raw_connection()
        driver: Any = pooled.driver_connection
        try:
            return driver.execute(sql, params).fetchone()
        except Exception:
            if driver.broken or driver.closed:
                pooled.invalidate()
            raise
        finally:
            pooled.close()

    def one_statement(self) -> Connection:
        """A durable connection on which each statement commits alone: for a service whose whole transaction
        is one statement (binding an alley, following), one round trip instead of three (BEGIN, the
        statement, COMMIT). Unlike ``autocommit`` it waits for the commit to be written, as business data must."""
        return self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def autocommit(self) -> Connection:
        """A connection where each statement commits alone: one round trip, no BEGIN/COMMIT."""
        if self._bookkeeping_engine is not None:
            return self._bookkeeping_engine.connect()
        return self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def uow_factory(url: str, engine: Engine) -> UowFactory:
    # SQLite has one writer and no WAL-flush setting per session: its bookkeeping shares the engine.
    return UowFactory(engine, None if url.startswith("sqlite") else make_engine(url, durable=False))
