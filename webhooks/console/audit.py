"""操作记录: the console's audit log, for street-office staff (their office's objects only)."""

from __future__ import annotations

from flask import abort, render_template, request

from bot.accounts.service import AccountView
from bot.issues.texts import DESK_ACTIONS
from webhooks.console.base import bot, bp, staff_page

PAGE_SIZE = 100


@bp.get("/audit")
@staff_page
def audit(account: AccountView, alleys: list[str]) -> str:
    """Who did what at the desk, newest first; chiefs have no audit page (staff supervise them)."""
    if account.role != "staff":
        abort(403)
    rt = bot().rt
    offices = sorted({spec.street_office for a in alleys if (spec := rt.config.alley(a)) is not None})
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = rt.audit_log.count(offices)
    entries = rt.audit_log.recent(offices, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("console/audit.html", account=account, entries=entries, actions=DESK_ACTIONS,
                           page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total)
