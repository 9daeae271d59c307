"""Cost as history grows: years of tickets, users and messages in PostgreSQL, and what everyday work costs.

Builds a fresh database with --tickets tickets, --users users and --messages inbound-log rows (generated in
SQL), then measures what must not grow with them: `alleybot issues list --json` (wall time, statements), a
chief's 待办 (statements), a 发通知 preview of one alley (time), one ordinary message through the app
(Redis round trips, transactions, statements), and prints the query plans of the hot queries.

    python benchmarks/history.py [--tickets 100000] [--users 51000] [--messages 1000000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis as redis_lib
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.databases import fresh_database  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")

FILL = """
INSERT INTO users (openid, role, home_alley_id, subscribed, anonymised, blocked, held_notices, last_message_at,
                   created_at, updated_at)
SELECT 'o_h' || n, 'resident', (SELECT id FROM alleys ORDER BY id OFFSET n % (SELECT count(*) FROM alleys) LIMIT 1),
       true, false, false, 0, now() - (n % 900) * interval '1 hour', now(), now()
FROM generate_series(1, :users) AS n;

INSERT INTO issues (ticket, reporter_id, source_key, alley, street_office, category, triage, text, status,
                    escalated, due_at, created_at, updated_at)
SELECT 'H' || lpad(n::text, 9, '0'), (SELECT min(id) FROM users) + n % :users, 'hist-' || n, a.name,
       a.street_office, (ARRAY['road_damage','sanitation','illegal_parking','piled_materials'])[1 + n % 4], 'B',
       '历史工单 ' || n,
       CASE WHEN n > :tickets - 200 THEN 'received'
            ELSE (ARRAY['resolved','rejected','resolved','duplicate'])[1 + n % 4] END,
       false, now() - (n % 700) * interval '1 day' + interval '5 days', now() - (n % 700) * interval '1 day', now()
FROM generate_series(1, :tickets) AS n
JOIN LATERAL (SELECT name, street_office FROM alleys ORDER BY id OFFSET n % (SELECT count(*) FROM alleys) LIMIT 1)
     AS a ON true;

INSERT INTO inbound_messages (openid, msg_key, msg_type, received_at, outcome)
SELECT 'o_h' || (n % :users), md5('hist' || n), 'text', now() - (n % 400) * interval '1 day', 'handled'
FROM generate_series(1, :messages) AS n;
ANALYZE;
"""


def history_database(name: str, users: int, tickets: int, messages: int) -> tuple[str, dict[str, str], Any, float]:
    """A fresh, migrated, seeded database filled with generated history: its URL, the environment for the
    CLI, an engine, and when the filling began (for its duration)."""
    url = fresh_database(name)
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "ALLEYBOT_LOG_LEVEL": "WARNING"}
    redis_lib.Redis.from_url(REDIS_URL).flushdb()
    for command in (["db", "upgrade"], ["seed"]):
        subprocess.run([sys.executable, "-m", "bot", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    began = time.monotonic()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in FILL.split(";\n"):
            if statement.strip():
                conn.execute(sa.text(statement), {"users": users, "tickets": tickets, "messages": messages})
    return url, env, engine, began


def counted(engine_events: list[str]) -> Any:
    """Count the statements sent to PostgreSQL, at psycopg's cursor: the arrival goes through the driver
    directly (UowFactory.bookkeeping_row), where SQLAlchemy's events would not see it."""
    import psycopg

    real = psycopg.Cursor.execute

    def execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        engine_events.append(str(query).split()[0])
        return real(self, query, *args, **kwargs)

    psycopg.Cursor.execute = execute  # type: ignore[method-assign]

    def stop() -> None:
        psycopg.Cursor.execute = real  # type: ignore[method-assign]

    return stop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=51_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    url, env, engine, began = history_database("alleybot_bench_history", args.users, args.tickets, args.messages)
    filled = time.monotonic() - began
    report: dict[str, Any] = {"tickets": args.tickets, "users": args.users, "messages": args.messages,
                              "fill_seconds": round(filled, 1)}

    began = time.monotonic()
    listing = subprocess.run([sys.executable, "-m", "bot", "issues", "list", "--json"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
    report["issues_list_seconds"] = round(time.monotonic() - began, 2)
    report["issues_listed"] = len(json.loads(listing.stdout)) if listing.returncode == 0 else listing.stderr[-300:]

    os.environ.update({"DATABASE_URL": url, "REDIS_URL": REDIS_URL, "WECHAT_TOKEN": "bench-token",
                       "ALLEYBOT_LOG_LEVEL": "WARNING"})
    from bot.broadcasts.service import Target
    from bot.core.settings import Settings
    from bot.wechat.signing import Signer, text_xml
    from webhooks.app import create_app

    app = create_app(Settings.from_env())
    rt = app.extensions["alleybot"].rt
    alley = rt.config.alleys[0].name
    rt.grant_role("o_chief_hist", "chief", alley)
    chief = rt.accounts.ensure("o_chief_hist").user_id

    statements: list[str] = []
    stop = counted(statements)
    todo = rt.issues.handling(chief)
    report["chief_todo_statements"], report["chief_todo_tickets"] = len(statements), len(todo)
    statements.clear()
    cpu, began = time.process_time(), time.monotonic()
    report["preview_audience"] = rt.broadcasts.preview(chief, Target((alley,)), "明天上午停水")
    report["preview_ms"] = round((time.monotonic() - began) * 1000, 1)
    report["preview_cpu_ms"] = round((time.process_time() - cpu) * 1000, 1)
    report["preview_statements"] = len(statements)
    client, signer = app.test_client(), Signer("bench-token")
    for words in ("你好", "谢谢"):  # the user exists after the first; the second is an ordinary message
        statements.clear()
        req = signer.sign(text_xml("o_h7", words))
        began = time.monotonic()
        client.post("/wechat", query_string=req.query, data=req.body)
        report["message_ms"] = round((time.monotonic() - began) * 1000, 1)
    report["message_statements"] = len(statements)
    stop()

    plans = {}
    with engine.connect() as conn:
        alley_id = conn.execute(sa.text("SELECT id FROM alleys WHERE name = :a"), {"a": alley}).scalar()
        for label, sql in {
            "chief's open tickets": "SELECT * FROM issues WHERE status IN ('received','accepted','in_progress',"
                                    "'forwarded') AND alley = :alley ORDER BY id LIMIT 10",
            "an alley's audience": "SELECT id FROM users WHERE subscribed AND (home_alley_id = :aid OR "
                                   "duty_alley_id = :aid)",
            "arrival (log row by key)": "SELECT id FROM inbound_messages WHERE msg_key = md5('hist77')",
            "pruning (oldest log rows)": "SELECT id FROM inbound_messages WHERE received_at < now() - "
                                         "interval '180 days' LIMIT 5000",
            "issues list (a chunk)": "SELECT * FROM issues WHERE id > 50000 ORDER BY id LIMIT 1000",
        }.items():
            rows = conn.execute(sa.text("EXPLAIN " + sql), {"alley": alley, "aid": alley_id}).scalars()
            plans[label] = list(rows)[:6]
    # The arrival itself, as the app sends it (its outcome part finds the earlier row by the unique key).
    from bot.accounts.inbox import _ARRIVE_PG, LAST_SEEN_PRECISION
    from bot.core.models import utcnow

    now = utcnow()
    with engine.connect() as conn:  # EXPLAIN without ANALYZE plans the statement and writes nothing
        driver: Any = conn.connection.driver_connection
        plans["arrival (the whole statement)"] = [row[0] for row in driver.execute("EXPLAIN " + _ARRIVE_PG, {
            "settle_key": "k1", "outcome": "handled", "detail": None, "openid": "o_h7",
            "msg_key": "explain-only", "msg_type": "text", "now": now, "seen_before": now - LAST_SEEN_PRECISION})]
    report["plans"] = plans
    engine.dispose()
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    for key, value in report.items():
        if key != "plans":
            print(f"{key}: {value}")
    for label, plan in plans.items():
        print(f"\n{label}:\n  " + "\n  ".join(plan))


if __name__ == "__main__":
    main()
