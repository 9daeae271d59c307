"""Lua scripts sent straight over a Redis connection: the two scripts every message runs.

redis-py 8's command path (a pool checkout with connection metrics, event dispatch, a retry wrapper, the
release) costs ~65 µs of CPU per call on the benchmark machine, three times the call itself sent over a
connection (~20 µs; docs/benchmarks.md). Every message makes two script calls (bot/core/gate.py), so those go
over connections of their own, kept in a small stack: taken for one call, then put back (a thread that is
gone, as the development server's thread per request, leaves nothing behind). Everything else uses the client.

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
from hiredis import pack_command
from redis.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

Arg = str | int | float | bytes


class ScriptConnections:
    """Connections for the scripts of one client: at most as many as calls run at once in this process.

    Connections made before gunicorn's fork belong to the parent: a worker starts with none of them."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._pool = client.connection_pool
        # Only redis-py's own connection classes: fakeredis subclasses them to reach its in-process server.
        cls = self._pool.connection_class
        self.direct = issubclass(cls, AbstractConnection) and cls.__module__.startswith("redis.")
        self._idle: list[AbstractConnection] = []
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def take(self) -> AbstractConnection:
        with self._lock:
            if self._pid != os.getpid():
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop()
        made: AbstractConnection = self._pool.connection_class(**self._pool.connection_kwargs)
        return made

    def forget_idle(self) -> None:
        """After a failed call: the idle connections are likely broken as well (Redis restarted, say)."""
        with self._lock:
            idle, self._idle = self._idle, []
            ours = self._pid == os.getpid()
        for conn in idle if ours else ():
            conn.disconnect()  # type: ignore[no-untyped-call]

    def give_back(self, conn: AbstractConnection) -> None:
        with self._lock:
            if self._pid == os.getpid():
                self._idle.append(conn)

    def script(self, source: str) -> Script:
        return Script(self, source)


class Script:
    def __init__(self, connections: ScriptConnections, source: str) -> None:
        self._connections = connections
        self._script = connections.client.register_script(source)
        self._source = source

    def __call__(self, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        if not self._connections.direct:
            return self._script(keys=keys, args=args)
        try:
            return self._run(keys, args)
        except (RedisConnectionError, RedisTimeoutError, OSError):
            self._connections.forget_idle()
            return self._run(keys, args)  # once more, on a new connection

    def _run(self, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        conn: Any = self._connections.take()  # redis-py leaves send_command and disconnect untyped
        try:
            try:
                conn.send_packed_command(_packed("EVALSHA", self._script.sha, len(keys), *keys, *args))
                reply = conn.read_response()
            except NoScriptError:
                conn.send_packed_command(_packed("EVAL", self._source, len(keys), *keys, *args))
                reply = conn.read_response()
        except (RedisConnectionError, RedisTimeoutError, OSError):
            conn.disconnect()
            raise
        except redis.ResponseError:  # the script's own error: its reply was read whole, the connection is fine
            self._connections.give_back(conn)
            raise
        except BaseException:  # anything else (an interrupt) may leave a reply unread: not used again
            conn.disconnect()
            raise
        self._connections.give_back(conn)
        return reply


def _packed(*parts: Arg) -> list[bytes]:
    """The command in Redis's protocol, packed by hiredis itself: redis-py's packer wraps the same call in a
    copy of the arguments and a type check of each (half of what the scripts' calls cost on our side)."""
    return [pack_command(parts)]  # type: ignore[arg-type]  # hiredis's stub types the argument as a 1-tuple
