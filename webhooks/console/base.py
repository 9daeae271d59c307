"""The staff console's frame: the blueprint, who is logged in, the scope of a page, CSRF, headers and errors.

A chief sees the alleys they are chief of, staff the alleys of their street office, anybody else nothing (403).
The session is a signed cookie holding the user id; the account is read again on every request, so a role
revoked in chat or on the command line ends the session at once.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from bot.accounts.authority import scope
from bot.accounts.console_login import CONSOLE_ROLES
from bot.accounts.service import AccountView
from bot.core.audit import Audit
from bot.core.config import ConsoleRules
from bot.dispatch import Bot

bp = Blueprint("console", __name__, url_prefix="/console")
log = logging.getLogger(__name__)

IDLE_SECONDS = 8 * 3600
LOGIN_BY_CODE, LOGIN_BY_LINK = "验证码", "登录链接"  # how a login came, as the audit log says it
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


def bot() -> Bot:
    bot: Bot = current_app.extensions["alleybot"]
    return bot


@bp.after_request
def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    tiles = map_rules().tile_origin
    if tiles:  # the maps' tiles: images from that origin, and nothing else from anywhere
        response.headers["Content-Security-Policy"] = HEADERS["Content-Security-Policy"].replace(
            "img-src 'self' data:", f"img-src 'self' data: {tiles}")
    return response


def map_rules() -> ConsoleRules:
    """config/console.yml's map, with ALLEYBOT_MAP_TILES in its place when set."""
    rt = bot().rt
    rules = rt.config.console
    if rt.settings.map_tiles is not None:
        rules = dataclasses.replace(rules, map_tiles=rt.settings.map_tiles)
    return rules


def map_data(alleys: list[str], points: list[dict[str, Any]]) -> dict[str, Any]:
    """What the console's map script draws: the tiles, the alleys in scope as lines, and the points."""
    rules, config = map_rules(), bot().rt.config
    lines = [{"name": a.name, "line": [list(p) for p in a.polyline], "center": list(a.center)}
             for a in config.alleys if a.name in alleys]
    return {"tiles": rules.map_tiles, "subdomains": rules.map_subdomains, "attribution": rules.map_attribution,
            "alleys": lines, "points": points}


def who() -> AccountView | None:
    """The logged-in account; None without a session or after 8 hours idle; 403 when the person behind the
    session is no longer a chief or staff member (the session ends at once)."""
    user_id, seen = session.get("user_id"), session.get("seen", 0)
    if not isinstance(user_id, int) and isinstance(session.get("browser"), str):
        # A code this browser showed was confirmed from WeChat: logged in now, whatever page it asks for.
        confirmed = bot().rt.console_logins.confirmed(session["browser"])
        if confirmed is not None:
            start_session(confirmed, LOGIN_BY_CODE)
            user_id, seen = confirmed, time.time()
    if not isinstance(user_id, int):
        return None
    if time.time() - float(seen) > IDLE_SECONDS:
        session.clear()
        return None
    account = bot().rt.accounts.by_id(user_id)
    if account is None or account.role not in CONSOLE_ROLES:
        session.clear()
        abort(403)
    session["seen"] = time.time()
    return account


def staff_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """A console page: logged in as a chief or staff member, with their scope; else the login page."""
    def wrapped(**kwargs: Any) -> Any:
        account = who()
        if account is None:
            return redirect(url_for("console.login"))
        alleys = scope(account.role, account.duty_alley, bot().rt.config)
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
@bp.errorhandler(413)
@bp.errorhandler(429)
def _error(exc: HTTPException) -> tuple[str, int]:
    from bot.accounts.texts import CONSOLE_TOO_MANY

    title, message = {
        429: ("请稍后再试", CONSOLE_TOO_MANY),
        413: ("文件太大", "上传的照片太大了，请少选几张或缩小后再试。"),
        400: ("请求有误", "请检查筛选条件后再试。"),
        403: ("没有权限", "工作台只对街巷长和街道工作人员开放；如果刚调整过身份，请在微信里重新发送“工作台”。"),
        404: ("没有找到", "这个工单不存在，或者不在您的管辖范围内。"),
    }[exc.code or 404]
    return render_template("console/error.html", title=title, message=message), exc.code or 404


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Any:
    """A fault at the desk gets a page that says so (and a logged traceback), not the webhook's 'success'."""
    if isinstance(exc, HTTPException):
        return exc
    log.exception("console error on %s", request.path)
    return render_template("console/error.html", title="出错了",
                           message="系统出了点问题，操作没有完成。请稍后再试；如果一直这样，请联系管理员。"), 500


def start_session(user_id: int, how: str) -> None:
    session.clear()
    session.update(user_id=user_id, seen=time.time(), csrf=secrets.token_urlsafe(16))
    bot().rt.audit_log.record(Audit(user_id, request.remote_addr), "login", how)




def check_csrf() -> None:
    """Every form that changes something carries the session's token: another site cannot post it."""
    token = session.get("csrf")
    if not isinstance(token, str) or not secrets.compare_digest(request.form.get("csrf", ""), token):
        abort(400)


def audit_of(account: AccountView) -> Audit:
    """Who acts and from where, for the audit row the service writes with the change."""
    return Audit(actor_id=account.user_id, ip=request.remote_addr)


def status_names() -> dict[str, str]:
    from bot.issues.texts import STATUS_NAMES

    return STATUS_NAMES
