"""The staff console on years of data: the ticket list and the dashboard with 100,000 tickets and 50,000 users.

Builds a fresh PostgreSQL database (the same generated history as benchmarks/history.py, without the message
log), logs a street office's staff member in through the Flask client, and times each page as the server
answers it (rendering included), over several filter combinations; prints p50/p95 per page and the plans
of the list's queries.

    python benchmarks/console.py [--tickets 100000] [--users 50000] [--rounds 30] [--json]
Targets (issue 16): ticket list p95 < 300 ms, dashboard < 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.history import REDIS_URL, history_database  # noqa: E402

LISTS = {
    "list, newest first": "/console/tickets",
    "list, page 40": "/console/tickets?page=40",
    "list, one alley": "/console/tickets?alley={alley}",
    "list, status and category": "/console/tickets?status=resolved&category=sanitation",
    "list, most urgent first": "/console/tickets?order=due",
    "list, overdue": "/console/tickets?overdue=1",
    "list, date range": "/console/tickets?since={since}&until={until}",
    "list, words": "/console/tickets?q=历史工单 4242",
    "list, ticket number": "/console/tickets?q=H00004",
    "list, on a map": "/console/tickets/map?status=received",
}


def timed(client: Any, path: str, rounds: int) -> dict[str, float]:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        res = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert res.status_code == 200, (path, res.status_code)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
            "max_ms": round(times[-1], 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    url, _, engine, began = history_database("alleybot_bench_console", args.users, args.tickets, 0)
    with engine.begin() as conn:
        # Some located, some resolved with ratings, as a real year has them.
        conn.execute(sa.text("UPDATE issues SET lat = 39.90 + (id % 100) * 0.0003, lng = 116.37 + (id % 70) * 0.0004"
                             " WHERE id % 3 = 0"))
        conn.execute(sa.text("UPDATE issues SET resolved_at = created_at + (id % 9) * interval '1 day', "
                             "rating = 1 + id % 3 WHERE status = 'resolved'"))
        conn.execute(sa.text("ANALYZE"))
    report: dict[str, Any] = {"tickets": args.tickets, "users": args.users,
                              "fill_seconds": round(time.monotonic() - began, 1)}

    os.environ.update({"DATABASE_URL": url, "REDIS_URL": REDIS_URL, "WECHAT_TOKEN": "bench-token",
                       "ALLEYBOT_LOG_LEVEL": "WARNING", "ALLEYBOT_MAP_TILES": "none"})
    from bot.core.settings import Settings
    from webhooks.app import create_app

    app = create_app(Settings.from_env())
    rt = app.extensions["alleybot"].rt
    alley = rt.config.alleys[0]
    rt.grant_role("o_staff_bench", "staff", alley.name)
    client = app.test_client()
    link = rt.console_logins.link(rt.accounts.get("o_staff_bench"))
    assert client.get(urlparse(link).path).status_code == 302
    scope = [a.name for a in rt.config.alleys if a.street_office == alley.street_office]
    with engine.connect() as conn:
        report["tickets_in_scope"] = conn.execute(sa.text("SELECT count(*) FROM issues WHERE alley = ANY(:a)"),
                                                  {"a": scope}).scalar()
    today = time.strftime("%Y-%m-%d")
    since = time.strftime("%Y-%m-%d", time.localtime(time.time() - 90 * 86400))
    pages = {}
    for label, path in LISTS.items():
        pages[label] = timed(client, path.format(alley=alley.name, since=since, until=today), args.rounds)
    pages["dashboard"] = timed(client, "/console/", max(5, args.rounds // 3))
    report["pages"] = pages
    report["list_p95_worst_ms"] = max(v["p95_ms"] for k, v in pages.items() if k.startswith("list"))
    report["dashboard_p95_ms"] = pages["dashboard"]["p95_ms"]

    plans = {}
    with engine.connect() as conn:
        for label, sql in {
            "list page (scope, newest first)": "SELECT * FROM issues WHERE alley = ANY(:scope) ORDER BY id DESC "
                                               "LIMIT 50 OFFSET 0",
            "list count (scope)": "SELECT count(*) FROM issues WHERE alley = ANY(:scope)",
            "overdue (scope)": "SELECT * FROM issues WHERE alley = ANY(:scope) AND status IN ('received',"
                               "'accepted','in_progress','forwarded') AND due_at < now() ORDER BY id DESC LIMIT 50",
            "dashboard: category × status": "SELECT category, status, count(*) FROM issues WHERE "
                                            "alley = ANY(:scope) GROUP BY category, status",
        }.items():
            rows = conn.execute(sa.text("EXPLAIN ANALYZE " + sql), {"scope": scope}).scalars()
            plans[label] = list(rows)[:8]
    report["plans"] = plans
    engine.dispose()
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    for key, value in report.items():
        if key not in ("plans", "pages"):
            print(f"{key}: {value}")
    for label, figures in pages.items():
        print(f"{label:32} p50 {figures['p50_ms']:7.1f} ms   p95 {figures['p95_ms']:7.1f} ms")
    for label, plan in plans.items():
        print(f"\n{label}:\n  " + "\n  ".join(plan))


if __name__ == "__main__":
    main()
