"""考核 and 台账 from real tickets, patrols and polls: the facts gathered per alley and period, the CLI
documents of DESIGN §5, and 我的考核 in chat."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import update

from bot.chiefs.assessment import PeriodError, period
from bot.chiefs.patrol_words import Found
from bot.core.models import Issue, IssueEvent
from bot.runtime import Runtime
from bot.simulator import Simulator
from tests.cli import run_cli
from tests.people import uid

CHIEF = "o_chief_score"
OCT = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)  # 09:00 in Beijing on 1 October


def _env(rt: Runtime) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": rt.settings.database_url, "REDIS_URL": rt.settings.redis_url or "",
            "ALLEYBOT_VAR_DIR": str(rt.settings.var_dir)}


def _october(rt: Runtime) -> list[str]:
    """Three tickets in 光明胡同 in October: one resolved on time, one late, one overdue still open."""
    rt.accounts.grant_role(CHIEF, "chief", "光明胡同")
    chief = uid(rt, CHIEF)
    tickets = []
    for n, (category, day) in enumerate((("illegal_parking", 2), ("road_damage", 5), ("sanitation", 20))):
        logged = rt.issues.report(uid(rt, f"o_oct_{n}"), f"oct-{n}", "光明胡同", category, "十月的问题",
                                  now=OCT + timedelta(days=day))
        assert logged.issue is not None
        tickets.append(logged.issue.ticket)
    rt.issues.act(chief, tickets[0], "resolve", note="已处理")
    rt.issues.act(chief, tickets[1], "resolve", note="已修")
    with rt.uow() as uow:  # when those actions happened, in October
        for ticket, hours, resolved_days in ((tickets[0], 2, 0.5), (tickets[1], 30, 20)):
            issue = uow.session.query(Issue).filter(Issue.ticket == ticket).one()
            at = issue.created_at.replace(tzinfo=UTC) + timedelta(hours=hours)
            uow.session.execute(update(IssueEvent).where(IssueEvent.issue_id == issue.id,
                                                         IssueEvent.kind == "resolved").values(at=at))
            issue.resolved_at = issue.created_at.replace(tzinfo=UTC) + timedelta(days=resolved_days)
            issue.rating = 3 if ticket == tickets[0] else 1
    for day in range(1, 11):
        rt.chief_log.record(chief, "光明胡同", 45, [Found("piled_materials", 1, day % 2 == 0)], "巡街",
                            key=f"walk-{day}", now=OCT + timedelta(days=day))
    return tickets


def test_the_facts_and_the_score_of_a_month(rt: Runtime) -> None:
    _october(rt)
    card = next(c for c in rt.assessment.scorecards(period(month="2026-10"), "西长安街街道") if c.alley == "光明胡同")
    f = card.facts
    assert (f.days, f.patrol_days, f.due, f.on_time, f.overdue_at_end) == (31, 10, 3, 1, 1)
    assert sorted(round(h) for h in f.response_hours) == [2, 30, 255]  # the open one: unanswered to the month's end
    assert sorted(f.ratings) == [1, 3]
    assert abs(sum(card.card.parts.values()) - card.card.score) < 1e-9 and card.card.not_applicable == []
    quiet = next(c for c in rt.assessment.scorecards(period(month="2026-10")) if c.alley == "东斜街")
    assert quiet.card.not_applicable == ["处置", "响应", "评价"] and quiet.card.score == 0.0  # no patrol either


def test_the_scorecard_and_ledger_commands(rt: Runtime) -> None:
    tickets = _october(rt)
    out = run_cli(["chiefs", "scorecard", "--month", "2026-10", "--street-office", "西长安街街道", "--json"], _env(rt))
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert {d["alley"] for d in doc} == {a.name for a in rt.config.alleys if a.street_office == "西长安街街道"}
    first = doc[0]
    assert first["alley"] == "光明胡同" and set(first) >= {"alley", "chief", "score", "grade", "parts"}
    assert round(sum(first["parts"].values()), 1) == first["score"] and first["chief"] == "王立新"
    assert first["grade"] in ("优秀", "良好", "合格", "不合格")
    for bad in (["--month", "2026-13"], ["--week", "2026-48"], [], ["--month", "2026-10", "--quarter", "2026-Q4"]):
        refused = run_cli(["chiefs", "scorecard", *bad, "--json"], _env(rt))
        assert refused.returncode != 0 and refused.stdout == "", bad
    out = run_cli(["alleys", "ledger", "光明胡同儿", "--month", "2026-10", "--json"], _env(rt))
    assert out.returncode == 0, out.stderr
    ledger = json.loads(out.stdout)
    sanitation = next(i for i in ledger["items"] if i["category"] == "sanitation")
    assert (sanitation["open"], sanitation["oldest_open"]) == (1, tickets[2])
    piled = next(i for i in ledger["items"] if i["category"] == "piled_materials")
    assert piled["open"] == 0 and piled["last_found_on_patrol"] == "2026-10-11"
    assert ledger["month"]["received"] == 3 and ledger["month"]["resolved"] == 2
    assert ledger["month"]["on_time"] == 1 and ledger["month"]["satisfaction_rate"] == 0.5
    assert run_cli(["alleys", "ledger", "没有这条胡同", "--json"], _env(rt)).returncode != 0


def test_periods() -> None:
    assert (period(week="2026-W48").first.isoformat(), period(week="2026-W48").last.isoformat()) == (
        "2026-11-23", "2026-11-29")
    assert period(month="2026-12").last.isoformat() == "2026-12-31"
    assert (period(quarter="2026-Q4").first.isoformat(), period(quarter="2026-Q4").last.isoformat()) == (
        "2026-10-01", "2026-12-31")
    with pytest.raises(PeriodError):
        period(quarter="2026-Q5")


def test_my_score_in_chat(app: Flask, rt: Runtime) -> None:
    rt.accounts.grant_role(CHIEF, "chief", "光明胡同")
    rt.chief_log.record(uid(rt, CHIEF), "光明胡同", 30, [], "", key="today")
    reply = Simulator(app, CHIEF).text("我的考核") or ""
    assert "光明胡同 考核：" in reply and "知情" in reply and "巡街 1 天" in reply
    assert "处置：本期没有可考核的事项" in reply  # nothing due yet this month: said, not a zero
    assert Simulator(app, "o_someone").text("我的考核") == "考核是给街巷长的：您还没有负责的胡同。"


def test_the_console_shows_logs_ledgers_and_the_ranking_within_scope(app: Flask, rt: Runtime) -> None:
    import io

    from openpyxl import load_workbook

    from tests.console_people import log_in

    tickets = _october(rt)
    rt.accounts.grant_role("o_staff_score", "staff", "东斜街")
    rt.accounts.grant_role("o_staff_far", "staff", "福光路")
    staff = app.test_client()
    log_in(staff, rt, "o_staff_score")
    page = staff.get("/console/scorecard?month=2026-10").get_data(as_text=True)
    assert "西长安街街道" in page and "光明胡同" in page and "王立新" in page and "体育馆路街道" not in page
    assert "巡街 10/23 天" in page  # the facts behind the points, for a secretary to check by hand
    from urllib.parse import quote

    walks = f"/console/patrols?alley={quote('光明胡同')}&amp;since=2026-10-01&amp;until=2026-10-31"
    assert walks in page  # the patrols behind the 知情 points, one click away
    listed = staff.get(walks.replace("&amp;", "&")).get_data(as_text=True)
    assert listed.count("45 分钟") == 10 and "2026-10-11" in listed
    assert staff.get("/console/patrols?alley=光明胡同&since=2026-10-05&until=2026-10-06").get_data(
        as_text=True).count("45 分钟") == 2
    book = load_workbook(io.BytesIO(staff.get("/console/scorecard.xlsx?quarter=2026-Q4").data))
    assert book.sheetnames == ["西长安街街道"] and book["西长安街街道"]["B2"].value == "光明胡同"
    assert "打印版" not in staff.get("/console/scorecard?month=2026-10&print=1").get_data(as_text=True)
    assert staff.get("/console/scorecard?month=2026-13").status_code == 400
    ledger = staff.get("/console/alleys/光明胡同/ledger?month=2026-10").get_data(as_text=True)
    assert "无堆物堆料" in ledger and tickets[2] in ledger and "2026-10-11" in ledger
    assert "45 分钟" in staff.get("/console/patrols").get_data(as_text=True)
    far = app.test_client()
    log_in(far, rt, "o_staff_far")
    assert far.get("/console/alleys/光明胡同/ledger").status_code == 404
    assert "45 分钟" not in far.get("/console/patrols").get_data(as_text=True)
    assert "光明胡同" not in far.get("/console/scorecard?month=2026-10").get_data(as_text=True)


def test_monthly_progress_notices_go_out_once(app: Flask, rt: Runtime, run_jobs: object) -> None:
    from bot.chiefs.jobs import schedule_progress_notices
    from bot.chiefs.progress import previous_month
    from tests.console_people import log_in
    from tests.integration.test_console_actions import _csrf

    _october(rt)
    for n in range(2):
        rt.accounts.bind_alley(f"o_reader_{n}", "光明胡同")
    rt.accounts.grant_role("o_staff_progress", "staff", "东斜街")
    staff = app.test_client()
    log_in(staff, rt, "o_staff_progress")
    page = staff.get("/console/alleys/光明胡同/ledger").get_data(as_text=True)
    assert "<title>光明胡同 台账 · 街巷助手</title>" in page  # (the block once swallowed the section)
    assert "定期公开" in page.split("<main>")[1] and page.count("开启每月公开") == 1
    switched = staff.post("/console/alleys/光明胡同/progress", data={"csrf": _csrf(staff), "enabled": "1"})
    assert switched.status_code == 303
    november = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 November in Beijing
    assert previous_month(november) == "2026-10"
    sent = rt.progress_notices.send_due(november)
    assert len(sent) == 1 and rt.progress_notices.send_due(november) == []  # claimed: never twice
    broadcast = rt.broadcasts.within(sent[0], ["光明胡同"], [])
    assert broadcast is not None and broadcast.recipients >= 2
    assert broadcast.text.startswith("10月光明胡同：收到3件，办结2件，按时率50%，满意率50%。")
    assert rt.progress_notices.send_due(datetime(2026, 12, 1, 2, 0, tzinfo=UTC)) != []  # next month: again
    staff.post("/console/alleys/光明胡同/progress", data={"csrf": _csrf(staff), "enabled": "0"})
    assert rt.progress_notices.send_due(datetime(2027, 1, 1, 2, 0, tzinfo=UTC)) == []  # switched off
    first = schedule_progress_notices(rt, datetime(2026, 11, 28, 4, 0, tzinfo=UTC))  # type: ignore[arg-type]
    if not rt.jobs.inline:  # a worker plans the next first of the month, 09:00 Beijing, once
        assert first is not None and first.isoformat() == "2026-12-01T09:00:00+08:00"
        assert schedule_progress_notices(rt, datetime(2026, 11, 28, 5, 0, tzinfo=UTC)) is None  # type: ignore[arg-type]
