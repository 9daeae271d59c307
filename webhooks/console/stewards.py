"""管家 at the desk: applications to decide, patrols to confirm, points and the 金牌管家 board, the month's
report, and rewards to hand over or cancel, all within the person's scope."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any

from flask import Response, abort, redirect, render_template, request, session, url_for

from bot.accounts.service import AccountView
from bot.core.clock import BEIJING
from bot.stewards import texts as steward_texts
from bot.stewards.rewards import RedeemError
from bot.stewards.service import StewardError
from webhooks.console.base import audit_of, bot, bp, check_csrf, staff_page
from webhooks.console.tickets import offices_of

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@bp.get("/stewards")
@staff_page
def stewards(account: AccountView, alleys: list[str]) -> str:
    """Everything about the stewards of the scope's alleys on one page."""
    rt = bot().rt
    month = request.args.get("month") or datetime.now(BEIJING).strftime("%Y-%m")
    if not MONTH.fullmatch(month):
        month = datetime.now(BEIJING).strftime("%Y-%m")
    offices = offices_of(alleys)
    claims = [c for c in rt.stewards.find("pending") if c.alley in alleys]
    report = [r for r in rt.patrols.report(month) if r["alley"] in alleys]
    board = [row for o in offices for row in rt.patrols.leaderboard(month[:4], o, limit=10)]
    return render_template("console/stewards.html", account=account, claims=claims,
                           patrols=rt.patrols.within(alleys, limit=50), report=report, month=month,
                           board=board, redemptions=rt.rewards.pending(alleys),
                           done=session.pop("done", None), year=month[:4])


@bp.post("/stewards/applications/<int:claim_id>")
@staff_page
def steward_decide(account: AccountView, alleys: list[str], claim_id: int) -> Any:
    """Approve or decline an application to steward an alley of the scope (the applicant is told in WeChat)."""
    check_csrf()
    rt = bot().rt
    claim = rt.stewards.claim(claim_id)
    if claim is None or claim.alley not in alleys:
        abort(404)
    approve = request.form.get("decision") == "approve"
    try:
        rt.stewards.decide(account.user_id, claim_id, approve, audit=audit_of(account))
    except StewardError as exc:
        session["done"] = steward_texts.DESK_ALREADY if exc.code == "decided" else str(exc)
    else:
        session["done"] = steward_texts.DESK_APPROVED if approve else steward_texts.DESK_DECLINED
    return redirect(url_for("console.stewards"), 303)


@bp.post("/stewards/patrols/<int:patrol_id>/confirm")
@staff_page
def patrol_confirm(account: AccountView, alleys: list[str], patrol_id: int) -> Any:
    """Vouch for a patrol checked in without a location: its points are paid, once."""
    check_csrf()
    rt = bot().rt
    if not any(p.id == patrol_id for p, _ in rt.patrols.within(alleys, limit=1000)):
        abort(404)
    rt.patrols.confirm(account.user_id, patrol_id, audit=audit_of(account))
    session["done"] = steward_texts.DESK_CONFIRMED
    return redirect(url_for("console.stewards"), 303)


@bp.post("/stewards/redemptions/<int:redemption_id>")
@staff_page
def redemption_decide(account: AccountView, alleys: list[str], redemption_id: int) -> Any:
    """Hand a reserved reward over, or cancel it (its points and stock come back)."""
    check_csrf()
    rt = bot().rt
    if rt.rewards.steward_alley(redemption_id) not in alleys:
        abort(404)
    give = request.form.get("decision") == "give"
    try:
        rt.rewards.decide(redemption_id, give, audit=audit_of(account))
    except RedeemError:
        session["done"] = steward_texts.DESK_ALREADY
    else:
        session["done"] = steward_texts.DESK_GIVEN if give else steward_texts.DESK_CANCELLED
    return redirect(url_for("console.stewards"), 303)


@bp.get("/stewards/report.csv")
@staff_page
def stewards_report_csv(account: AccountView, alleys: list[str]) -> Response:
    """The month's report of the scope's stewards as CSV (UTF-8 with BOM): patrols, hours, visits, fixes,
    reports and points per steward and alley (no openids)."""
    month = request.args.get("month") or datetime.now(BEIJING).strftime("%Y-%m")
    if not MONTH.fullmatch(month):
        abort(400)
    rows = [r for r in bot().rt.patrols.report(month) if r["alley"] in alleys]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["管家", "胡同", "巡查次数", "时长（小时）", "走访", "整改", "上报", "积分"])
    writer.writerows([r["steward"], r["alley"], r["patrols"], r["hours"], r["visits"], r["fixes"], r["reports"],
                      r["points"]] for r in rows)
    return Response(buffer.getvalue().encode("utf-8-sig"), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=stewards-{month}.csv"})
