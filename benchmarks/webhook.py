"""Throughput and latency of /wechat under a mixed message load, beside a bare Flask + wechatpy echo.

Both run under gunicorn on loopback with the same worker count; the bot uses real PostgreSQL and Redis.
Two phases per target:
  1. open loop at a fixed rate (default 200 messages/s): latency p50/p99 measured from each message's
     scheduled send time, so a server that falls behind is charged for the queue it builds;
  2. closed loop with C concurrent senders for T seconds: the sustainable throughput.

    python benchmarks/webhook.py [--rate 200] [--seconds 10] [--workers 4] [--concurrency 16] [--json]

Needs PostgreSQL (TEST_POSTGRES_URL, default postgres@127.0.0.1/test) and Redis (127.0.0.1:6379, db 13).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.databases import fresh_database  # noqa: E402
from bot.wechat.signing import Signer, event_xml, message_xml, text_xml  # noqa: E402

TOKEN = "bench-token"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
TEXTS = ["你好", "谢谢", "菜单", "我住光明胡同儿", "今天天气怎么样", "绑定胡同", "东斜街", "取消", "路灯坏了",
         "怎么用啊", "我要签到"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mixed_messages(n: int, users: int = 500, retry_share: float = 0.05) -> list[str]:
    """Texts, events, locations and photos from many users, with some WeChat retries mixed in."""
    rng = random.Random(7)
    out: list[str] = []
    for i in range(n):
        if len(out) > 1000 and rng.random() < retry_share:
            # A retry: the very same delivery again, about 5 s later at 200/s, as WeChat retries.
            out.append(out[-1000])
            continue
        openid = f"o_bench_{rng.randrange(users)}"
        kind = rng.random()
        if kind < 0.70:
            out.append(text_xml(openid, rng.choice(TEXTS)))
        elif kind < 0.80:
            key = rng.choice(["HELP", "BIND_ALLEY", "REPORT"])
            out.append(event_xml(openid, "CLICK", key, create_time=1_700_000_000 + i))
        elif kind < 0.88:
            out.append(message_xml(openid, "location", Location_X=39.9097, Location_Y=116.3783, Scale=16, Label="x"))
        elif kind < 0.95:
            out.append(message_xml(openid, "image", PicUrl="http://x/p.jpg", MediaId=f"media-{i}"))
        else:
            out.append(event_xml(openid, "subscribe", "qrscene_光明胡同", create_time=1_700_000_000 + i))
    return out


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children, now: gunicorn's master and workers."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


@contextmanager
def gunicorn(app: str, workers: int, env: dict[str, str]) -> Iterator[tuple[int, int]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "webhooks/gunicorn.conf.py", "-w", str(workers), "-b",
         f"127.0.0.1:{port}", "--log-level", "warning", app], cwd=ROOT, env={**os.environ, **env},
        stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=15)


class Sender:
    """One keep-alive HTTP connection per thread; signs each message as WeChat would."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.signer = Signer(TOKEN)
        self.local = threading.local()

    def send(self, xml: str) -> int:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        req = self.signer.sign(xml)
        try:
            conn.request("POST", "/wechat?" + urllib.parse.urlencode(req.query), body=req.body,
                         headers={"Content-Type": "text/xml"})
            res = conn.getresponse()
            res.read()
            return res.status
        except (http.client.HTTPException, OSError):
            conn.close()
            self.local.conn = None
            return 599


def open_loop(send: Callable[[str], int], messages: list[str], rate: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def one(i: int, xml: str) -> None:
        nonlocal errors
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        status = send(xml)
        elapsed = time.perf_counter() - scheduled
        with lock:
            latencies.append(elapsed)
            errors += status != 200

    with ThreadPoolExecutor(max_workers=64) as pool:
        for i, xml in enumerate(messages):
            pool.submit(one, i, xml)
    wall = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100)
    return {"sent": len(latencies), "errors": errors, "achieved_rate": len(latencies) / wall,
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000}


def closed_loop(send: Callable[[str], int], messages: list[str], concurrency: int, seconds: float) -> dict[str, float]:
    done = errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    cursor = iter(range(10**9))

    def worker() -> None:
        nonlocal done, errors
        while time.perf_counter() < stop:
            with lock:
                i = next(cursor)
            status = send(messages[i % len(messages)])
            with lock:
                done += 1
                errors += status != 200

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return {"messages": done, "errors": errors, "throughput": done / wall}


def prepare_database() -> str:
    url = fresh_database("alleybot_bench")
    env = {**os.environ, "DATABASE_URL": url}
    # `nlu parse` trains the built-in model into the shared cache now, not in every gunicorn worker later.
    for args in (["db", "upgrade"], ["seed"], ["nlu", "parse", "你好"]):
        subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    return url


def warm_up(port: int, args: argparse.Namespace) -> None:
    # Every gunicorn worker imports the app lazily after fork; that CPU must not be measured.
    closed_loop(Sender(port).send, mixed_messages(2000, users=50), args.concurrency, 3.0)


def latency(port: int, args: argparse.Namespace) -> dict[str, float]:
    n = int(args.rate * args.seconds)
    return open_loop(Sender(port).send, mixed_messages(n), args.rate)


def peak(port: int, pid: int, args: argparse.Namespace, seed: int) -> dict[str, float]:
    """The closed-loop phase, with the server's CPU time per message (stable where wall time is not)."""
    before = cpu_seconds(pid)
    result = closed_loop(Sender(port).send, mixed_messages(20000 + seed), args.concurrency, args.seconds)
    result["cpu_ms_per_message"] = (cpu_seconds(pid) - before) * 1000 / max(1.0, result["messages"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="benchmark /wechat against a bare echo")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved peak phases per target")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    db_url = prepare_database()
    bot_env = {"DATABASE_URL": db_url, "REDIS_URL": REDIS_URL, "WECHAT_TOKEN": TOKEN,
               "ALLEYBOT_LOG_LEVEL": "WARNING"}
    # Both servers run at once; their phases alternate (bot, echo, bot, echo …) so that a noisy minute of
    # the machine hits both, and the ratio is taken from the medians.
    with gunicorn("webhooks.wsgi:app", args.workers, bot_env) as (bot_port, bot_pid), \
            gunicorn("benchmarks.echo_app:app", args.workers, {"WECHAT_TOKEN": TOKEN}) as (echo_port, echo_pid):
        warm_up(bot_port, args)
        warm_up(echo_port, args)
        bot: dict[str, object] = {"target": "alleybot", **{f"fixed_{k}": round(v, 2)
                                                           for k, v in latency(bot_port, args).items()}}
        echo: dict[str, object] = {"target": "bare echo", **{f"fixed_{k}": round(v, 2)
                                                             for k, v in latency(echo_port, args).items()}}
        rounds: list[tuple[dict[str, float], dict[str, float]]] = []
        for i in range(args.rounds):
            rounds.append((peak(bot_port, bot_pid, args, i), peak(echo_port, echo_pid, args, i)))
    for row, k in ((bot, 0), (echo, 1)):
        row["peak_throughput"] = round(statistics.median(r[k]["throughput"] for r in rounds), 1)
        row["peak_errors"] = sum(int(r[k]["errors"]) for r in rounds)
        row["cpu_ms_per_message"] = round(statistics.median(r[k]["cpu_ms_per_message"] for r in rounds), 3)
        row["peak_rounds"] = [round(r[k]["throughput"], 1) for r in rounds]
    ratio = float(bot["peak_throughput"]) / float(echo["peak_throughput"])  # type: ignore[arg-type]
    report = {"workers": args.workers, "rate": args.rate, "seconds": args.seconds, "bot": bot, "echo": echo,
              "throughput_ratio": round(ratio, 3)}
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    print(f"gunicorn -w {args.workers}, {args.seconds:.0f}s per phase, mixed load (5% retries)")
    print(f"{'':12}{'p50 @' + str(int(args.rate)) + '/s':>14}{'p99':>10}{'errors':>8}{'peak msg/s':>12}"
          f"{'CPU ms/msg':>12}")
    for row in (bot, echo):
        print(f"{row['target']:12}{row['fixed_p50_ms']:>12.1f}ms{row['fixed_p99_ms']:>8.1f}ms"
              f"{row['fixed_errors'] + row['peak_errors']:>8}{row['peak_throughput']:>12.1f}"  # type: ignore[operator]
              f"{row['cpu_ms_per_message']:>12.3f}")
    print(f"throughput ratio bot/echo: {ratio:.2f}  (targets: p99 < 100 ms at {int(args.rate)}/s, ratio ≥ 0.40)")


if __name__ == "__main__":
    main()
