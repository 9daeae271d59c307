"""街巷长 at the desk: the patrol log (日志), each alley's ledger (台账), and the scorecard ranking per street
office with the tickets and patrols behind every point (考核), exported as the quarter's 季通报."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from flask import Response, abort, redirect, render_template, request, session, url_for

from bot.accounts.service import AccountView
from bot.chiefs.assessment import Period, PeriodError, period
from bot.chiefs.ledger import LedgerError
from bot.chiefs.scoring import DEDUCTION, PARTS, required_patrol_days
from bot.chiefs.texts import PROGRESS_OFF, PROGRESS_ON
from bot.core.clock import BEIJING
from webhooks.console.base import audit_of, bot, bp, check_csrf, staff_page


@bp.get("/patrols")
@staff_page
def patrols(account: AccountView, alleys: list[str]) -> str:
    """街巷长日志: a chief's own patrols, staff every patrol of their street office."""
    rt = bot().rt
    alley = request.args.get("alley") or None
    shown = [alley] if alley in alleys else [] if alley else alleys
    since, until = request.args.get("since") or "", request.args.get("until") or ""
    entries = [e for e in rt.chief_log.within(shown, limit=1000, since_day=since or None)
               if not until or e.day <= until][:200]
    names = {c.code: c.name for c in rt.config.categories}
    return render_template("console/patrols.html", account=account, entries=entries, names=names, alley=alley,
                           since=since, until=until)


@bp.get("/alleys/<name>/ledger")
@staff_page
def ledger(account: AccountView, alleys: list[str], name: str) -> str:
    """One alley's 台账 (an alley outside the scope is 404)."""
    if name not in alleys:
        abort(404)
    month = request.args.get("month") or None
    try:
        found = bot().rt.ledgers.ledger(name, month)
    except (LedgerError, PeriodError):
        abort(404)
    rt = bot().rt
    from bot.chiefs.progress import previous_month

    last = previous_month(datetime.now(BEIJING))
    return render_template("console/ledger.html", account=account, ledger=found, doc=found.as_json(),
                           alleys=alleys, progress=name in rt.progress_notices.enabled([name]),
                           sample=rt.progress_notices.text(name, last), editable=account.role == "staff",
                           done=session.pop("done", None))


@bp.post("/alleys/<name>/progress")
@staff_page
def progress(account: AccountView, alleys: list[str], name: str) -> Any:
    """定期公开 on or off for an alley of the street office (staff)."""
    check_csrf()
    if name not in alleys:
        abort(404)
    if account.role != "staff":
        abort(403)
    on = request.form.get("enabled") == "1"
    bot().rt.progress_notices.switch(name, on, audit=audit_of(account))
    session["done"] = PROGRESS_ON if on else PROGRESS_OFF
    return redirect(url_for("console.ledger", name=name), 303)


def _period() -> Period:
    args = request.args
    try:
        if args.get("quarter"):
            return period(quarter=args["quarter"])
        if args.get("week"):
            return period(week=args["week"])
        return period(month=args.get("month") or datetime.now(BEIJING).strftime("%Y-%m"))
    except PeriodError:
        abort(400)


@bp.get("/scorecard")
@staff_page
def scorecard(account: AccountView, alleys: list[str]) -> str:
    """The ranking per street office (a chief sees their own alley), each part with what it comes from."""
    rt = bot().rt
    p = _period()
    cards = rt.assessment.scorecards(p, alleys=alleys)
    offices: dict[str, list[Any]] = {}
    for card in cards:
        offices.setdefault(card.street_office, []).append(card)
    return render_template("console/scorecard.html", account=account, period=p, offices=offices, parts=PARTS,
                           deduction=DEDUCTION, rules=rt.config.assessment, required=required_patrol_days,
                           printable=request.args.get("print") == "1")


@bp.get("/scorecard.xlsx")
@staff_page
def scorecard_xlsx(account: AccountView, alleys: list[str]) -> Response:
    """The 季通报 (or any period's ranking) as a workbook, one sheet per street office."""
    from openpyxl import Workbook

    p = _period()
    book = Workbook()
    book.remove(book.active)
    cards = bot().rt.assessment.scorecards(p, alleys=alleys)
    for office in sorted({c.street_office for c in cards}):
        sheet = book.create_sheet(office[:31])
        sheet.append(["名次", "胡同", "街巷长", "得分", "等级", *PARTS, DEDUCTION, "不适用", "巡街天数", "到期工单",
                      "按时办结", "重新打开", "收到工单", "评价次数", "月末超期"])
        for rank, c in enumerate((c for c in cards if c.street_office == office), 1):
            f = c.facts
            sheet.append([rank, c.alley, c.chief, c.card.score, c.card.grade,
                          *[c.card.parts[part] for part in PARTS], c.card.parts[DEDUCTION],
                          "、".join(c.card.not_applicable), f.patrol_days, f.due, f.on_time, f.reopened,
                          len(f.response_hours), len(f.ratings), f.overdue_at_end])
        sheet.freeze_panes = "A2"
    if not book.sheetnames:
        book.create_sheet("无")
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=scorecard-{p.label}.xlsx"})
