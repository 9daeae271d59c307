"""Fan-out of one notice to 10,000 recipients: sends per second and duplicates (must be 0).

A fresh PostgreSQL database with N subscribed residents of one alley, inside WeChat's 48-hour window; the fake
WeChat API in its own process; W `alleybot worker --burst` processes on real Redis sharing the broadcast
(the job is queued once per worker: rows are claimed one at a time, so they never collide). The rate limit
is lifted to measure the pipeline, not the configured cap.

    python benchmarks/broadcast.py [--recipients 10000] [--workers 4] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import redis
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.db import upgrade  # noqa: E402
from bot.core.jobs import QUEUE_NAME  # noqa: E402

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    name = f"alleybot_bench_bcast_{os.getpid()}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    work = Path(tempfile.mkdtemp(prefix="alleybot-bench-"))
    config = work / "config"
    shutil.copytree(ROOT / "config", config)
    rules = (config / "broadcasts.yml").read_text(encoding="utf-8")
    (config / "broadcasts.yml").write_text(rules.replace("sends_per_second: 100", "sends_per_second: 10000"),
                                           encoding="utf-8")
    port = free_port()
    fake = subprocess.Popen([sys.executable, "-m", "bot.wechat.fake_api", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "WECHAT_APPID": "wx-bench",
           "WECHAT_SECRET": "s", "WECHAT_API_BASE": f"http://127.0.0.1:{port}", "ALLEYBOT_CONFIG_DIR": str(config),
           "ALLEYBOT_VAR_DIR": str(work), "ALLEYBOT_LOG_LEVEL": "WARNING"}
    try:
        upgrade(url)
        subprocess.run([sys.executable, "-m", "bot", "seed"], env=env, cwd=ROOT, check=True, capture_output=True)
        engine = sa.create_engine(url)
        now = datetime.now(UTC)
        with engine.begin() as conn:
            alley_id = conn.execute(sa.text("SELECT id FROM alleys WHERE name = '光明胡同'")).scalar_one()
            conn.execute(sa.text(
                "INSERT INTO users (openid, role, home_alley_id, subscribed, anonymised, blocked, held_notices,"
                " last_message_at, created_at, updated_at) VALUES (:o, 'resident', :a, true, false, false, 0,"
                " :t, :t, :t)"), [{"o": f"o_bench_{i:05d}", "a": alley_id, "t": now} for i in range(args.recipients)])
        client = redis.Redis.from_url(REDIS_URL)
        client.flushdb()
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_fake/calls", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        out = subprocess.run([sys.executable, "-m", "bot", "broadcast", "send", "--alley", "光明胡同", "--text",
                              "明天9点到12点停水，请提前储水。", "--json"], env=env, cwd=ROOT, check=True,
                             capture_output=True, text=True)
        broadcast_id = json.loads(out.stdout)["id"]
        from rq import Queue

        queue = Queue(QUEUE_NAME, connection=client)
        for _ in range(args.workers - 1):  # the CLI queued one; one job per worker to share the rows
            queue.enqueue("bot.core.jobs.run_job", "send_broadcast", {"broadcast_id": broadcast_id}, job_timeout=3600)
        started = time.perf_counter()
        workers = [subprocess.Popen([sys.executable, "-m", "bot", "worker", "--burst"], env=env, cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for _ in range(args.workers)]
        for w in workers:
            w.wait()
        elapsed = time.perf_counter() - started
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_fake/calls", timeout=60) as res:
            calls = json.load(res)
        sends = Counter(c["body"]["touser"] for c in calls if c["path"] == "message/custom/send")
        report = json.loads(subprocess.run([sys.executable, "-m", "bot", "broadcast", "report", str(broadcast_id),
                                            "--json"], env=env, cwd=ROOT, check=True, capture_output=True,
                                           text=True).stdout)
        doc = {
            "recipients": args.recipients, "workers": args.workers, "seconds": round(elapsed, 2),
            "sends_per_second": round(sum(sends.values()) / elapsed, 1),
            "delivered_unique": len(sends), "duplicates": sum(n - 1 for n in sends.values() if n > 1),
            "missed": args.recipients - len(sends), "report": report,
        }
        print(json.dumps(doc, ensure_ascii=False) if args.json else "\n".join(f"{k}: {v}" for k, v in doc.items()))
        engine.dispose()
    finally:
        fake.terminate()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
