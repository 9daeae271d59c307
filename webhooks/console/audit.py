"""操作记录: the console's audit log, for street-office staff (their office's objects only): filtered by action
and dates, a page at a time, and exported as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Response, abort, render_template, request

from bot.accounts.service import AccountView
from bot.core.clock import BEIJING
from bot.issues.texts import DESK_ACTIONS
from webhooks.console.base import bot, bp, staff_page
from webhooks.console.tickets import offices_of

PAGE_SIZE = 100


def _filters() -> dict[str, Any]:
    """The action and Beijing days of the query string; a day that is not one is a 400 (the page says so)."""
    args: Any = request.args
    out: dict[str, Any] = {}
    action = args.get("action") or None
    if action is not None and action not in DESK_ACTIONS:
        abort(400)
    out["action"] = action
    for key, shift in (("since", 0), ("until", 1)):
        value = args.get(key)
        if value:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                abort(400)
            out[key] = datetime.combine(day + timedelta(days=shift), time(), BEIJING)
        else:
            out[key] = None
    return out


@bp.get("/audit")
@staff_page
def audit(account: AccountView, alleys: list[str]) -> str:
    """Who did what at the desk, newest first; chiefs have no audit page (staff supervise them)."""
    if account.role != "staff":
        abort(403)
    rt, where = bot().rt, _filters()
    offices = offices_of(alleys)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = rt.audit_log.count(offices, **where)
    entries = rt.audit_log.recent(offices, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, **where)
    query = {k: v for k, v in request.args.items() if k in ("action", "since", "until") and v}
    return render_template("console/audit.html", account=account, entries=entries, actions=DESK_ACTIONS,
                           page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total, query=query)


@bp.get("/audit.csv")
@staff_page
def audit_csv(account: AccountView, alleys: list[str]) -> Response:
    """The log under the same filters, every page, as CSV (UTF-8 with BOM)."""
    if account.role != "staff":
        abort(403)
    entries = bot().rt.audit_log.recent(offices_of(alleys), limit=None, **_filters())
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["时间", "谁", "操作", "对象", "编号", "说明", "地址"])
    for e in entries:
        detail = e.detail or ""
        writer.writerow([e.at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"), e.actor,
                         DESK_ACTIONS.get(e.action, e.action), e.object_kind, e.object_ref,
                         "'" + detail if detail[:1] in ("=", "+", "-", "@") else detail, e.ip or ""])
    return Response(buffer.getvalue().encode("utf-8-sig"), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})
