"""街道工作台: the staff console (DESIGN §5), logged in through WeChat and scoped by the one authority rule.

A chief sees the alleys they are chief of, staff the alleys of their street office, anybody else nothing (403).
The session is a signed cookie holding the user id; the account is read again on every request, so a role
revoked in chat or on the command line ends the session at once.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from bot.accounts.authority import scope
from bot.accounts.console_login import CODE_SECONDS, CONSOLE_ROLES
from bot.accounts.service import AccountView
from bot.dispatch import Bot
from bot.issues import export as issue_export
from bot.issues.service import IssueError

bp = Blueprint("console", __name__, url_prefix="/console")

IDLE_SECONDS = 8 * 3600
PAGE_SIZE = 50
STATUSES = ["received", "accepted", "in_progress", "forwarded", "resolved", "rejected", "duplicate", "withdrawn"]
# Scripts and styles only from this app: street-office intranets block CDNs, and nothing else may inject any.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def stored_secret(var_dir: Path) -> str:
    """The session-signing key when ALLEYBOT_SECRET_KEY is unset: random, kept in the var directory, so every
    process sharing it (gunicorn's workers) signs alike and a restart keeps people logged in."""
    path = var_dir / "console-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _bot() -> Bot:
    bot: Bot = current_app.extensions["alleybot"]
    return bot


@bp.after_request
def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _who() -> AccountView | None:
    """The logged-in account; None without a session or after 8 hours idle; 403 when the person behind the
    session is no longer a chief or staff member (the session ends at once)."""
    user_id, seen = session.get("user_id"), session.get("seen", 0)
    if not isinstance(user_id, int) and isinstance(session.get("browser"), str):
        # A code this browser showed was confirmed from WeChat: logged in now, whatever page it asks for.
        confirmed = _bot().rt.console_logins.confirmed(session["browser"])
        if confirmed is not None:
            _start(confirmed)
            user_id, seen = confirmed, time.time()
    if not isinstance(user_id, int):
        return None
    if time.time() - float(seen) > IDLE_SECONDS:
        session.clear()
        return None
    account = _bot().rt.accounts.by_id(user_id)
    if account is None or account.role not in CONSOLE_ROLES:
        session.clear()
        abort(403)
    session["seen"] = time.time()
    return account


def staff_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """A console page: logged in as a chief or staff member, with their scope; else the login page."""
    def wrapped(**kwargs: Any) -> Any:
        account = _who()
        if account is None:
            return redirect(url_for("console.login"))
        alleys = scope(account.role, account.duty_alley, _bot().rt.config)
        return view(account, alleys, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@bp.app_context_processor
def _common() -> dict[str, Any]:
    from bot.accounts.texts import ROLE_LABELS
    from bot.core.clock import BEIJING

    return {"roles": ROLE_LABELS, "beijing": BEIJING, "account": None}


@bp.errorhandler(400)
@bp.errorhandler(403)
@bp.errorhandler(404)
def _error(exc: HTTPException) -> tuple[str, int]:
    title, message = {
        400: ("请求有误", "请检查筛选条件后再试。"),
        403: ("没有权限", "工作台只对街巷长和街道工作人员开放；如果刚调整过身份，请在微信里重新发送“工作台”。"),
        404: ("没有找到", "这个工单不存在，或者不在您的管辖范围内。"),
    }[exc.code or 404]
    return render_template("console/error.html", title=title, message=message), exc.code or 404


def _start(user_id: int) -> None:
    session.clear()
    session.update(user_id=user_id, seen=time.time(), csrf=secrets.token_urlsafe(16))


@bp.get("/login")
def login() -> Any:
    """Show a 6-digit code to send from WeChat (登录 CODE); the page notices the login by itself."""
    if _who() is not None:
        return redirect(url_for("console.overview"))
    now = time.time()
    if not isinstance(session.get("browser"), str):
        session["browser"] = secrets.token_urlsafe(16)
    if not session.get("code") or now - float(session.get("code_at", 0)) > CODE_SECONDS - 30:
        session.update(code=_bot().rt.console_logins.code_for(session["browser"]), code_at=now)
    return render_template("console/login.html", code=session["code"], minutes=CODE_SECONDS // 60)


@bp.get("/login/status")
def login_status() -> Response:
    """Polled by the login page: whether this browser is logged in yet."""
    return Response('{"in": true}' if _who() is not None else '{"in": false}', mimetype="application/json")


@bp.get("/login/<token>")
def login_link(token: str) -> Any:
    """Open a one-time link from 工作台 or `alleybot console login-link`."""
    user_id = _bot().rt.console_logins.redeem(token)
    if user_id is None:
        return render_template("console/link_used.html"), 410
    _start(user_id)
    return redirect(url_for("console.overview"))


@bp.post("/logout")
def logout() -> Any:
    """End the session (the form carries the session's CSRF token)."""
    if request.form.get("csrf") != session.get("csrf"):
        abort(400)
    session.clear()
    return redirect(url_for("console.login"))


@bp.get("/")
@staff_page
def overview(account: AccountView, alleys: list[str]) -> str:
    """概览: the tickets of the alleys in scope, by status."""
    counts = _bot().rt.issues.status_counts(within=alleys)
    return render_template("console/overview.html", account=account, alleys=alleys, counts=counts,
                           statuses=STATUSES, names=_status_names())


@bp.get("/tickets")
@staff_page
def tickets(account: AccountView, alleys: list[str]) -> str:
    """工单: filtered by status and alley (within scope), a page at a time."""
    rt = _bot().rt
    status, alley = _filters(alleys)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = rt.issues.count(status=status, alley=alley, within=alleys)
    found = rt.issues.find(status=status, alley=alley, within=alleys, limit=PAGE_SIZE,
                           offset=(page - 1) * PAGE_SIZE)
    return render_template("console/tickets.html", account=account, alleys=alleys, tickets=found,
                           status=status, alley=alley if alley != "\u0000" else request.args.get("alley"),
                           page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total, statuses=STATUSES,
                           names=_status_names())


@bp.get("/tickets.csv")
@staff_page
def tickets_csv(account: AccountView, alleys: list[str]) -> Response:
    """The list under the same filters, every page, as CSV (UTF-8 with BOM, for Excel)."""
    status, alley = _filters(alleys)
    found = _bot().rt.issues.find(status=status, alley=alley, within=alleys)
    return Response(issue_export.csv_bytes(found), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=tickets.csv"})


@bp.get("/tickets/<ticket>")
@staff_page
def ticket(account: AccountView, alleys: list[str], ticket: str) -> str:
    """One ticket and its history; a ticket outside the scope is 404, its content never shown."""
    rt = _bot().rt
    try:
        issue = rt.issues.show(ticket)
    except IssueError:
        abort(404)
    if issue.alley not in alleys:
        abort(404)
    history = [{**e, "at": datetime.fromisoformat(e["at"])} for e in rt.issues.history(ticket)]
    return render_template("console/ticket.html", account=account, issue=issue, history=history,
                           names=_status_names())


def _filters(alleys: list[str]) -> tuple[str | None, str | None]:
    """Status and alley from the query string; an alley outside the scope lists nothing (not even that it
    exists)."""
    status = request.args.get("status") or None
    alley = request.args.get("alley") or None
    if status is not None and status not in STATUSES:
        abort(400, f"unknown status {status}")
    if alley is not None and alley not in alleys:
        alley = "\u0000"
    return status, alley


def _status_names() -> dict[str, str]:
    from bot.issues.texts import STATUS_NAMES

    return STATUS_NAMES
