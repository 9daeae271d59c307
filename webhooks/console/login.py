"""Logging in to the console without passwords: a one-time link from chat, or a code shown on the desktop
that the person sends from WeChat (登录 CODE)."""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import Response, g, redirect, render_template, request, session, url_for

from bot.accounts.console_login import CODE_SECONDS
from bot.core.audit import Audit
from webhooks.console.base import LOGIN_BY_LINK, bot, bp, check_csrf, start_session, who


@bp.get("/login")
def login() -> Any:
    """Show a 6-digit code to send from WeChat (登录 CODE); the page notices the login by itself."""
    if who() is not None:
        return redirect(url_for("console.overview"))
    now = time.time()
    if not isinstance(session.get("browser"), str):
        session["browser"] = secrets.token_urlsafe(16)
    if not session.get("code") or now - float(session.get("code_at", 0)) > CODE_SECONDS - 30:
        session.update(code=bot().rt.console_logins.code_for(session["browser"]), code_at=now)
        g.new_code = True  # counted against this page's codes (webhooks/console/rate_limits.py)
    return render_template("console/login.html", code=session["code"], minutes=CODE_SECONDS // 60)


@bp.get("/login/status")
def login_status() -> Response:
    """Polled by the login page: whether this browser is logged in yet."""
    return Response('{"in": true}' if who() is not None else '{"in": false}', mimetype="application/json")


@bp.get("/login/<token>")
def login_link(token: str) -> Any:
    """Open a one-time link from 工作台 or `alleybot console login-link`."""
    user_id = bot().rt.console_logins.redeem(token)
    if user_id is None:
        return render_template("console/link_used.html"), 410
    start_session(user_id, LOGIN_BY_LINK)
    return redirect(url_for("console.overview"))


@bp.post("/logout")
def logout() -> Any:
    """End the session (the form carries the session's CSRF token)."""
    check_csrf()
    if isinstance(session.get("user_id"), int):
        bot().rt.audit_log.record(Audit(session["user_id"], request.remote_addr), "logout")
    session.clear()
    return redirect(url_for("console.login"))


