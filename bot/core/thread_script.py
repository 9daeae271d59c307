"""Lua scripts called over a Redis connection of the calling thread's own: the scripts every message runs.

redis-py 8's command path (a pool checkout with connection metrics, event dispatch, a retry wrapper, the
release) costs ~65 µs of CPU per call on the benchmark machine, three times the call itself sent over a
connection (~20 µs; docs/benchmarks.md). Every message makes two script calls (bot/core/gate.py), so those go
over a connection kept per thread; everything else uses the client as usual.

Behaviour is the client's: a connection that fails is dropped and the call is tried once more on a new one (as
redis-py's default retry does), a script Redis does not hold (restarted, flushed) is sent whole, and an
in-process fake server (the embedded default, the fast tests) is called through the client.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import redis
from redis.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

Arg = str | int | float | bytes


class ThreadConnections:
    """One connection per thread (and per process: a connection made before gunicorn's fork stays the
    parent's), shared by the scripts of one client."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._pool = client.connection_pool
        # Only redis-py's own connection classes: fakeredis subclasses them to reach its in-process server.
        cls = self._pool.connection_class
        self.direct = issubclass(cls, AbstractConnection) and cls.__module__.startswith("redis.")
        self._local = threading.local()

    def get(self) -> AbstractConnection:
        held: tuple[int, AbstractConnection] | None = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        conn: AbstractConnection = self._pool.connection_class(**self._pool.connection_kwargs)
        self._local.held = (os.getpid(), conn)
        return conn

    def drop(self) -> None:
        held: tuple[int, AbstractConnection] | None = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None and held[0] == os.getpid():
            conn: Any = held[1]  # redis-py leaves disconnect untyped
            conn.disconnect()

    def script(self, source: str) -> ThreadScript:
        return ThreadScript(self, source)


class ThreadScript:
    def __init__(self, connections: ThreadConnections, source: str) -> None:
        self._connections = connections
        self._script = connections.client.register_script(source)
        self._source = source

    def __call__(self, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        if not self._connections.direct:
            return self._script(keys=keys, args=args)
        try:
            return self._run(keys, args)
        except (RedisConnectionError, RedisTimeoutError, OSError):
            self._connections.drop()
            return self._run(keys, args)

    def _run(self, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        conn: Any = self._connections.get()  # redis-py leaves send_command untyped
        try:
            conn.send_command("EVALSHA", self._script.sha, len(keys), *keys, *args)
            return conn.read_response()
        except NoScriptError:
            conn.send_command("EVAL", self._source, len(keys), *keys, *args)
            return conn.read_response()
