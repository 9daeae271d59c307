"""Engine creation, Alembic upgrades and the unit of work that services use to own their transactions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if url.startswith("sqlite") and path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str, durable: bool = True) -> Engine:
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
    options = {} if durable else {"options": "-c synchronous_commit=off"}
    return create_engine(url, pool_recycle=1800, pool_size=5, max_overflow=10, connect_args=options)


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


class UnitOfWork:
    """One transaction: commit on clean exit, roll back on an exception.

    Bookkeeping units (see UowFactory.bookkeeping) run on connections whose commits do not wait for the
    WAL flush on PostgreSQL.
    """

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
    """Makes units of work: call it for a durable one, ``.bookkeeping()`` for a fast, non-durable one.

    Bookkeeping rows (the inbound-message log, last-seen times) go through a second engine whose PostgreSQL
    sessions have ``synchronous_commit=off``: a database crash may lose the last fraction of a second of
    them but never corrupts anything. Business data (issues, points) always commits durably.
    """

    def __init__(self, engine: Engine, bookkeeping_engine: Engine | None = None) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._bookkeeping_engine = bookkeeping_engine or engine
        self._bookkeeping = sessionmaker(self._bookkeeping_engine, expire_on_commit=False)

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)

    def bookkeeping(self) -> UnitOfWork:
        return UnitOfWork(self._bookkeeping)

    def autocommit(self) -> Connection:
        """A bookkeeping connection where each statement commits alone: one round trip, no BEGIN/COMMIT."""
        return self._bookkeeping_engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def uow_factory(url: str, engine: Engine) -> UowFactory:
    bookkeeping = engine if url.startswith("sqlite") else make_engine(url, durable=False)
    return UowFactory(engine, bookkeeping)
