"""通知 at the desk: compose with the chat's preview and limits, pick alleys within the scope, schedule, and watch
the delivery report update while it goes out."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from flask import Response, abort, redirect, render_template, request, url_for

from bot.accounts.service import AccountView
from bot.broadcasts import texts as broadcast_texts
from bot.broadcasts.service import BroadcastError, BroadcastView, Target
from bot.core.clock import BEIJING
from webhooks.console.base import audit_of, bot, bp, check_csrf, staff_page
from webhooks.console.tickets import offices_of

ONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


class FormError(Exception):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


def _target(account: AccountView, alleys: list[str]) -> Target:
    """The alleys ticked (within the scope), or a whole street office for its staff."""
    office = request.form.get("office") or None
    if office is not None:
        if account.role != "staff" or office not in offices_of(alleys):
            raise FormError("发给谁", "只能发给自己街道的胡同")
        return Target(office=office)
    chosen = tuple(a for a in request.form.getlist("alley") if a)
    if not chosen:
        raise FormError("发给谁", "请至少勾选一条胡同")
    if any(a not in alleys for a in chosen):
        raise FormError("发给谁", "只能发给自己负责的胡同")
    return Target(alleys=chosen)


def _when() -> datetime | None:
    value = (request.form.get("send_at") or "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=BEIJING).astimezone(UTC)
    except ValueError:
        raise FormError("发送时间", "请选一个日期和时间，或留空立即发送") from None


LIST_PAGE = 30
SCOPE_LIMIT = 2000  # notices of a scope read for the list: years of a street office's notices


def _sent(alleys: list[str]) -> list[BroadcastView]:
    """The notices of the scope, narrowed by the query string: an alley, Beijing days, words of the text."""
    args = request.args
    found = bot().rt.broadcasts.recent(alleys, offices_of(alleys), limit=SCOPE_LIMIT)
    alley, words = args.get("alley") or "", (args.get("q") or "").strip()
    since, until = args.get("since") or "", args.get("until") or ""
    return [b for b in found
            if (not alley or alley in b.label.split("、") or b.label in offices_of([alley]))
            and (not words or words in b.text)
            and (not since or b.send_at.astimezone(BEIJING).date().isoformat() >= since)
            and (not until or b.send_at.astimezone(BEIJING).date().isoformat() <= until)]


def _compose(account: AccountView, alleys: list[str], error: tuple[str, str] | None = None,
             status: int = 200) -> tuple[str, int]:
    rt = bot().rt
    sent = _sent(alleys)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query = {k: v for k, v in request.args.items() if k in ("alley", "q", "since", "until") and v}
    return render_template("console/broadcasts.html", account=account, alleys=alleys, error=error,
                           offices=offices_of(alleys) if account.role == "staff" else [], form=request.form,
                           sent=sent[(page - 1) * LIST_PAGE:page * LIST_PAGE], total=len(sent), page=page,
                           pages=max(1, -(-len(sent) // LIST_PAGE)), query=query,
                           max_length=rt.config.broadcasts.max_length), status


@bp.get("/broadcasts.csv")
@staff_page
def broadcasts_csv(account: AccountView, alleys: list[str]) -> Response:
    """The notices of the list, under the same filters, with their delivery figures (UTF-8 with BOM)."""
    rt = bot().rt
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["编号", "发送时间", "发给", "人数", "已送达", "留言待看", "失败", "已确认", "内容"])
    for b in _sent(alleys):
        r = rt.broadcasts.report(b.id)
        writer.writerow([b.id, b.send_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"), b.label, b.recipients,
                         r["sent"], r["held"], r["failed"], r["acknowledged"], b.text])
    return Response(buffer.getvalue().encode("utf-8-sig"), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=broadcasts.csv"})


@bp.get("/broadcasts")
@staff_page
def broadcasts(account: AccountView, alleys: list[str]) -> tuple[str, int]:
    """The notices sent within the scope, and the form for a new one."""
    return _compose(account, alleys)


@bp.post("/broadcasts/preview")
@staff_page
def broadcast_preview(account: AccountView, alleys: list[str]) -> tuple[str, int]:
    """The chat's preview: who gets it and how many, with the exact text; nothing is sent yet."""
    check_csrf()
    text = request.form.get("text", "")
    try:
        target, when = _target(account, alleys), _when()
        count = bot().rt.broadcasts.preview(account.user_id, target, text)
    except FormError as exc:
        return _compose(account, alleys, (exc.field, exc.problem), 400)
    except BroadcastError as exc:
        return _compose(account, alleys, _problem(exc), 400)
    return render_template("console/broadcast_preview.html", account=account, target=target, text=text.strip(),
                           count=count, when=when, form=request.form, once=secrets.token_urlsafe(16)), 200


@bp.post("/broadcasts")
@staff_page
def broadcast_send(account: AccountView, alleys: list[str]) -> Any:
    """Send (or schedule) the previewed notice; the same confirmation sent twice is one notice."""
    check_csrf()
    once = request.form.get("once", "")
    if not ONCE.fullmatch(once):
        abort(400)
    try:
        target, when = _target(account, alleys), _when()
        created = bot().rt.broadcasts.create(account.user_id, target, request.form.get("text", ""), at=when,
                                             once=once, audit=audit_of(account))
    except FormError as exc:
        return _compose(account, alleys, (exc.field, exc.problem), 400)
    except BroadcastError as exc:
        return _compose(account, alleys, _problem(exc), 400)
    return redirect(url_for("console.broadcast", broadcast_id=created.id), 303)


@bp.get("/broadcasts/<int:broadcast_id>")
@staff_page
def broadcast(account: AccountView, alleys: list[str], broadcast_id: int) -> str:
    """One notice and its delivery report, which refreshes itself while the notice goes out."""
    found = _scoped(alleys, broadcast_id)
    return render_template("console/broadcast.html", account=account, b=found,
                           report=bot().rt.broadcasts.report(found.id))


@bp.get("/broadcasts/<int:broadcast_id>/report")
@staff_page
def broadcast_report(account: AccountView, alleys: list[str], broadcast_id: int) -> str:
    """The report alone (the page asks for it every two seconds while anything is pending)."""
    found = _scoped(alleys, broadcast_id)
    return render_template("console/broadcast_report.html", b=found, report=bot().rt.broadcasts.report(found.id))


def _scoped(alleys: list[str], broadcast_id: int) -> BroadcastView:
    """The notice if its audience lies within the person's scope; otherwise 404, as if it did not exist."""
    found = bot().rt.broadcasts.within(broadcast_id, alleys, offices_of(alleys))
    if found is None:
        abort(404)
    return found


def _problem(exc: BroadcastError) -> tuple[str, str]:
    rt = bot().rt
    field, problem = broadcast_texts.DESK_ERRORS.get(exc.code, ("通知", str(exc)))
    return field, problem.format(max_length=rt.config.broadcasts.max_length,
                                 cap=rt.config.broadcasts.daily_cap_per_sender)
