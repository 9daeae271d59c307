"""Where a message's CPU goes: the webhook's mixed load in one process, under cProfile.

The throughput benchmark (webhook.py) says how much CPU a message costs; this says where. It drives the real
app (PostgreSQL + Redis on loopback) through its WSGI callable with pre-signed requests, so the client's own
work stays out of the profile, and prints the functions with the most cumulative and own time.

    python benchmarks/profile_webhook.py [--messages 4000] [--sort tottime] [--top 40]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.webhook import REDIS_URL, TOKEN, mixed_messages, prepare_database  # noqa: E402
from bot.wechat.signing import Signer  # noqa: E402


def server_cpu(name: str) -> float:
    """CPU seconds (user + system) of every process with this name on the machine: PostgreSQL's backends and
    its own workers, or redis-server. What the app's statements and scripts cost the servers themselves."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        command, rest = stat.split(" (", 1)[1].rsplit(")", 1)
        if command == name or command.startswith(name + ":"):
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class _Inline:
    """An executor that runs the job in the calling thread, so the profile sees the handler's work."""

    def submit(self, fn: Callable[..., object], *args: object) -> Future[object]:
        future: Future[object] = Future()
        future.set_result(fn(*args))
        return future


def main() -> None:
    parser = argparse.ArgumentParser(description="profile /wechat in one process")
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--pool", action="store_true", help="keep the handler thread pool (unprofiled work)")
    parser.add_argument("--callees", default="", help="also print what functions matching this call")
    parser.add_argument("--dump", default="", help="write the raw profile to this file")
    parser.add_argument("--no-profile", action="store_true", help="only the CPU per message, unprofiled")
    args = parser.parse_args()

    import redis
    from werkzeug.test import EnvironBuilder

    redis.Redis.from_url(REDIS_URL).flushdb()
    os.environ.update({"DATABASE_URL": prepare_database(), "REDIS_URL": REDIS_URL, "WECHAT_TOKEN": TOKEN,
                       "ALLEYBOT_LOG_LEVEL": "WARNING"})
    from webhooks.app import create_app

    app = create_app()
    # The handler runs in a pool thread (the 4-second budget), which cProfile would not see: run it inline.
    if not args.pool:
        app.extensions["alleybot"]._pool = _Inline()
    signer = Signer(TOKEN)

    def environs(n: int, seed: int) -> list[dict[str, object]]:
        out = []
        for xml in mixed_messages(n + seed)[seed:]:
            req = signer.sign(xml)
            out.append(EnvironBuilder(path="/wechat", method="POST", query_string=urllib.parse.urlencode(req.query),
                                      data=req.body, content_type="text/xml").get_environ())
        return out

    def run(batch: list[dict[str, object]]) -> None:
        for env in batch:
            b"".join(app.wsgi_app(dict(env), lambda status, headers, exc_info=None: None))

    run(environs(500, 0))  # warm: imports, pools, the NLU's caches
    batch = environs(args.messages, 1)
    profiler = cProfile.Profile(time.process_time)  # CPU, not wall: waiting on PostgreSQL or Redis is free
    began, cpu = time.perf_counter(), time.process_time()
    servers = {name: server_cpu(name) for name in ("postgres", "redis-server")}
    if not args.no_profile:
        profiler.enable()
    run(batch)
    profiler.disable()
    if getattr(args, "dump", ""):
        profiler.dump_stats(args.dump)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    if not args.no_profile:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
        stats.print_stats(args.top)
        if args.callees:
            stats.print_callees(args.callees)
        print(out.getvalue())
    servers = {name: (server_cpu(name) - before) * 1000 / len(batch) for name, before in servers.items()}
    print(f"{len(batch)} messages, {cpu * 1000 / len(batch):.2f} ms CPU per message"
          f"{'' if args.no_profile else ' under the profiler'} ({wall * 1000 / len(batch):.2f} ms wall); "
          f"PostgreSQL {servers['postgres']:.2f} ms, Redis {servers['redis-server']:.2f} ms of CPU per message")


if __name__ == "__main__":
    main()
