"""Cost does not grow with history: lists in a constant number of queries and paged, audiences picked in SQL,
the inbound log pruned by age."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import insert, select

from bot.broadcasts.service import Target
from bot.core.models import InboundMessage, User
from bot.runtime import Runtime
from tests.cli import run_cli
from tests.people import uid
from tests.roundtrips import counting

CATEGORIES = ["road_damage", "sanitation", "illegal_parking", "piled_materials", "road_occupation"]


def _report(rt: Runtime, n: int) -> list[str]:
    alleys = [a.name for a in rt.config.alleys]
    tickets = []
    for i in range(n):
        # Five days apart per (alley, category): none is merged into another as a duplicate.
        logged = rt.issues.report(uid(rt, f"o_r{i}"), f"src-{i}", alleys[i % len(alleys)], CATEGORIES[i % 5],
                                  f"第{i}个", now=datetime.now(UTC) - timedelta(days=5 * i))
        assert logged.issue is not None
        tickets.append(logged.issue.ticket)
    return tickets


def test_a_list_costs_the_same_queries_for_five_tickets_or_fifty(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    tickets = _report(rt, 50)
    rt.issues.report(uid(rt, "o_follower"), "src-follow", rt.issues.show(tickets[0]).alley,
                     rt.issues.show(tickets[0]).category, "我也看见了")  # a follower, counted in the view
    with counting(monkeypatch) as few:
        five = rt.issues.find(limit=5)
    with counting(monkeypatch) as many:
        everything = rt.issues.find()
    assert [i.ticket for i in everything] == sorted(tickets, key=lambda t: rt.issues.show(t).id)
    assert [i.ticket for i in five] == [i.ticket for i in everything[:5]]
    assert everything[0].followers == 1
    assert many.sql == few.sql <= 4, many.statements


def test_issues_list_pages(rt: Runtime) -> None:
    tickets = _report(rt, 12)
    env = {**os.environ, "DATABASE_URL": rt.settings.database_url, "REDIS_URL": rt.settings.redis_url or "",
           "ALLEYBOT_VAR_DIR": str(rt.settings.var_dir)}
    pages = [json.loads(run_cli(["issues", "list", "--limit", "5", "--offset", str(o), "--json"], env).stdout)
             for o in (0, 5, 10, 15)]
    assert [len(p) for p in pages] == [5, 5, 2, 0]
    assert [i["ticket"] for p in pages for i in p] == [i.ticket for i in rt.issues.find()]
    assert sorted(i["ticket"] for p in pages for i in p) == sorted(tickets)


def test_an_alleys_audience_is_selected_in_sql(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(30):
        rt.accounts.ensure(f"o_{i}")
        rt.accounts.bind_alley(f"o_{i}", "光明胡同" if i % 3 == 0 else "东斜街")
    with rt.uow() as uow:
        with counting(monkeypatch) as trips:
            audience = rt.broadcasts.audience(uow.session, Target(("光明胡同",)))
        users = {u.id: u.openid for u in uow.session.scalars(select(User))}
    assert sorted(users[i] for i in audience) == sorted(f"o_{i}" for i in range(0, 30, 3))
    # One query of ids: never every user's row read to be filtered here.
    assert trips.sql == 1 and not trips.statements[0].startswith("SELECT users.id, users.openid"), trips.statements


def test_the_inbound_log_is_pruned_by_age(rt: Runtime) -> None:
    now = datetime.now(UTC)
    with rt.uow() as uow:
        uow.session.execute(insert(InboundMessage), [
            {"openid": "o_old", "msg_key": f"k{i}", "msg_type": "text", "outcome": "handled",
             "received_at": now - timedelta(days=days)} for i, days in enumerate([400, 200, 181, 179, 1, 0])])
    env = {**os.environ, "DATABASE_URL": rt.settings.database_url, "REDIS_URL": rt.settings.redis_url or "",
           "ALLEYBOT_VAR_DIR": str(rt.settings.var_dir)}
    out = run_cli(["db", "prune-inbox", "--json"], env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["deleted"] == 3
    with rt.uow() as uow:
        left = sorted(uow.session.scalars(select(InboundMessage.msg_key)))
    assert left == ["k3", "k4", "k5"]
    assert json.loads(run_cli(["db", "prune-inbox", "--days", "30", "--json"], env).stdout)["deleted"] == 1


def test_the_arrival_keeps_to_the_indexes_when_planned_on_a_new_log(rt: Runtime) -> None:
    """The arrival is prepared, and PostgreSQL keeps the generic plan it made while the log was new: a plan
    that scans the log then (cheap on one page) got dearer with every message until the next ANALYZE."""
    if rt.uow.dialect != "postgresql":
        pytest.skip("prepared plans are PostgreSQL's")
    from bot.accounts.inbox import _ARRIVE_PG

    names: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    statement = re.sub(r"%\((\w+)\)s", placeholder, _ARRIVE_PG)
    values = {"settle_key": "'k-earlier'", "outcome": "'handled'", "detail": "NULL", "openid": "'o_new'",
              "msg_key": "'k-now'", "msg_type": "'text'", "now": "now()", "seen_before": "now()"}
    engine = sa.create_engine(rt.settings.database_url)
    try:
        with engine.begin() as conn:  # rolled back below: nothing of this stays
            # A log and a users table as a new database has them: empty, never analysed.
            conn.execute(sa.text("CREATE SCHEMA plan_check"))
            for table in ("inbound_messages", "users"):
                conn.execute(sa.text(f"CREATE TABLE plan_check.{table} (LIKE public.{table} INCLUDING ALL)"))
            conn.execute(sa.text("SET LOCAL search_path = plan_check"))
            conn.execute(sa.text("SET LOCAL plan_cache_mode = force_generic_plan"))
            conn.exec_driver_sql(f"PREPARE arrive AS {statement}")
            plan = "\n".join(conn.exec_driver_sql(
                f"EXPLAIN EXECUTE arrive({', '.join(values[n] for n in names)})").scalars())
            conn.exec_driver_sql("DEALLOCATE arrive")
            conn.rollback()
    finally:
        engine.dispose()
    assert "Seq Scan" not in plan, plan
    assert "inbound_messages_msg_key_key" in plan and "users_openid_key" in plan, plan
