"""Count what a piece of work costs in round trips: SQL statements and transactions on every engine, Redis
commands (a pipeline or a script is one round trip). Used to keep the per-message budget of docs/benchmarks.md.

On PostgreSQL the statements are counted where they leave for the server, at psycopg's cursor: the arrival is
sent straight through the driver (UowFactory.bookkeeping_row), which SQLAlchemy's events would not see. On
SQLite they are counted through SQLAlchemy's events."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
import redis
from psycopg.pq import TransactionStatus
from redis.client import Pipeline
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.core.redis_scripts import Script


@dataclass
class Trips:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0  # explicit BEGIN…COMMIT/ROLLBACK blocks and autocommit statements alike
    redis: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # the transaction (1, 2, …) each statement ran in
    # PostgreSQL: the round trips psycopg makes itself around statements (BEGIN, COMMIT, ROLLBACK, SAVEPOINT…)
    commands: list[str] = field(default_factory=list)

    @property
    def sql(self) -> int:
        return len(self.statements)

    def transaction(self, number: int) -> list[str]:
        """The statements of the n-th transaction counted (1 is the first)."""
        return [st for st, n in zip(self.statements, self.numbers, strict=True) if n == number]


# The inbox's background writer (at most one batch a second, of outcomes no arrival has taken yet) is not part
# of a message's cost: its work is counted once per second, not per message.
BACKGROUND = "alleybot-inbox"


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Trips]:
    trips = Trips()
    lock = threading.Lock()
    in_transaction: dict[int, int] = {}  # connection -> the number of the transaction it is in

    def autocommit(conn: Any) -> bool:
        return bool(conn._is_autocommit_isolation())  # reads options only (get_isolation_level would query)

    def on_begin(conn: Any) -> None:
        # Autocommit: SQLAlchemy's begin is a no-op there, each statement commits on its own.
        if conn.dialect.name == "postgresql" or autocommit(conn) or threading.current_thread().name == BACKGROUND:
            return
        with lock:
            trips.transactions += 1
            in_transaction[id(conn)] = trips.transactions

    def on_end(conn: Any) -> None:
        in_transaction.pop(id(conn), None)

    def note(statement: str, number: int) -> None:
        trips.statements.append(statement.split()[0].upper() + " " + " ".join(statement.split()[1:6]))
        trips.numbers.append(number)

    def on_statement(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if conn.dialect.name == "postgresql" or threading.current_thread().name == BACKGROUND:
            return
        with lock:
            # A statement outside BEGIN (an autocommit connection) is a transaction of its own.
            if id(conn) not in in_transaction:
                trips.transactions += 1
            note(statement, in_transaction.get(id(conn), trips.transactions))

    real_execute, real_executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

    def on_pg_statement(cursor: psycopg.Cursor[Any], query: Any) -> None:
        if threading.current_thread().name == BACKGROUND:
            return
        conn = cursor.connection
        with lock:
            # psycopg opens a transaction itself before a statement on an idle, non-autocommit connection;
            # on an autocommit connection every statement is a transaction of its own.
            if conn.autocommit or conn.info.transaction_status == TransactionStatus.IDLE:
                trips.transactions += 1
                in_transaction[id(conn)] = trips.transactions
            note(query if isinstance(query, str) else bytes(query).decode() if isinstance(query, bytes)
                 else query.as_string(conn), in_transaction[id(conn)])

    def pg_execute(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        on_pg_statement(self, query)
        return real_execute(self, query, *args, **kwargs)

    def pg_executemany(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        on_pg_statement(self, query)
        return real_executemany(self, query, *args, **kwargs)

    real_command_pg = psycopg.Connection._exec_command

    def pg_command(self: psycopg.Connection[Any], command: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name != BACKGROUND:
            with lock:
                trips.commands.append(command.decode() if isinstance(command, bytes) else str(command))
        return real_command_pg(self, command, *args, **kwargs)

    listeners = [("begin", on_begin), ("commit", on_end), ("rollback", on_end),
                 ("before_cursor_execute", on_statement)]
    for name, fn in listeners:
        event.listen(Engine, name, fn)
    real_command, real_pipeline = redis.Redis.execute_command, Pipeline.execute

    def command(self: redis.Redis, *args: Any, **options: Any) -> Any:
        with lock:
            trips.redis.append(str(args[0]))
        return real_command(self, *args, **options)

    def pipeline(self: Pipeline, raise_on_error: bool = True) -> Any:
        with lock:
            trips.redis.append(f"PIPELINE({len(self.command_stack)})")
        return real_pipeline(self, raise_on_error)

    real_script = Script._run

    def script(self: Script, keys: Any, args: Any) -> Any:
        # The per-message scripts go straight over a connection, past execute_command: one round trip.
        with lock:
            trips.redis.append("EVALSHA")
        return real_script(self, keys, args)

    monkeypatch.setattr(redis.Redis, "execute_command", command)
    monkeypatch.setattr(Script, "_run", script)
    monkeypatch.setattr(Pipeline, "execute", pipeline)
    monkeypatch.setattr(psycopg.Cursor, "execute", pg_execute)
    monkeypatch.setattr(psycopg.Cursor, "executemany", pg_executemany)
    monkeypatch.setattr(psycopg.Connection, "_exec_command", pg_command)
    try:
        yield trips
    finally:
        monkeypatch.undo()
        for name, fn in listeners:
            event.remove(Engine, name, fn)
