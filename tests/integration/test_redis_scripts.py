"""The per-message Redis scripts sent straight over connections of their own (bot/core/redis_scripts.py):
they must behave as the client would when Redis forgets its scripts or the line drops."""

from __future__ import annotations

import os
from typing import Any

import redis

from bot.core.redis_conn import connect
from bot.core.redis_scripts import ScriptConnections
from tests.proxy import TcpProxy

ECHO = "return ARGV[1]"


def test_a_script_redis_forgot_is_sent_again(real_redis_url: str) -> None:
    client = connect(real_redis_url)
    echo = ScriptConnections(client).script(ECHO)
    assert echo([], ["光明胡同"]) == "光明胡同".encode()
    client.script_flush()  # as after a restart of Redis
    assert echo([], ["东斜街"]) == "东斜街".encode()


def test_connections_broken_under_the_scripts_are_replaced(real_redis_url: str) -> None:
    target = redis.Redis.from_url(real_redis_url).connection_pool.connection_kwargs
    proxy = TcpProxy(target.get("host", "127.0.0.1"), int(target.get("port", 6379))).up()
    try:
        lane = ScriptConnections(connect(f"redis://127.0.0.1:{proxy.port}/15"))
        echo = lane.script(ECHO)
        # Two connections idle in the stack (two calls once ran at the same time), then the line drops under
        # both, as when Redis restarts.
        held: list[Any] = [lane.take(), lane.take()]
        for conn in held:
            conn.connect()
            lane.give_back(conn)
        assert echo([], ["x"]) == b"x"
        proxy.down()
        proxy.up()
        assert echo([], ["again"]) == b"again"  # one failed attempt, then a new connection
    finally:
        proxy.down()


def test_a_script_error_leaves_the_connection_usable(real_redis_url: str) -> None:
    lane = ScriptConnections(connect(real_redis_url))
    failing, echo = lane.script("return redis.error_reply('no')"), lane.script(ECHO)
    try:
        failing([], [])
    except redis.ResponseError as exc:
        assert "no" in str(exc)
    else:
        raise AssertionError("the script's error was not raised")
    assert echo([], ["ok"]) == b"ok"


def test_a_forked_worker_never_writes_to_its_parents_connections(real_redis_url: str) -> None:
    lane = ScriptConnections(connect(real_redis_url))
    echo = lane.script(ECHO)
    assert echo([], ["parent"]) == b"parent"
    parents = list(lane._idle)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what gunicorn's worker is after the fork
        try:
            ok = echo([], ["child"]) == b"child" and not any(c in lane._idle for c in parents)
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert echo([], ["parent again"]) == b"parent again"  # the parent's connection still works
