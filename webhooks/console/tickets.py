"""工单 at the desk: the overview, the filtered list and its exports, one ticket's page and its actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, abort, redirect, render_template, request, session, url_for

from bot.accounts.service import AccountView
from bot.issues import export as issue_export
from bot.issues import texts as issue_texts
from bot.issues.service import MAX_MESSAGE_CHARS, IssueError, IssueView
from webhooks.console.base import audit_of, bot, bp, check_csrf, staff_page, status_names

PAGE_SIZE = 50
UPLOAD_BYTES = 60 * 1024 * 1024  # after-photos of one action, straight from a phone or camera
STATUSES = ["received", "accepted", "in_progress", "forwarded", "resolved", "rejected", "duplicate", "withdrawn"]


@bp.get("/")
@staff_page
def overview(account: AccountView, alleys: list[str]) -> str:
    """概览: the tickets of the alleys in scope, by status."""
    counts = bot().rt.issues.status_counts(within=alleys)
    return render_template("console/overview.html", account=account, alleys=alleys, counts=counts,
                           statuses=STATUSES, names=status_names())


@bp.get("/tickets")
@staff_page
def tickets(account: AccountView, alleys: list[str]) -> str:
    """工单: filtered by status and alley (within scope), a page at a time."""
    rt = bot().rt
    status, alley = _filters(alleys)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = rt.issues.count(status=status, alley=alley, within=alleys)
    found = rt.issues.find(status=status, alley=alley, within=alleys, limit=PAGE_SIZE,
                           offset=(page - 1) * PAGE_SIZE)
    return render_template("console/tickets.html", account=account, alleys=alleys, tickets=found,
                           status=status, alley=alley if alley != "\u0000" else request.args.get("alley"),
                           page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total, statuses=STATUSES,
                           names=status_names())


@bp.get("/tickets.csv")
@staff_page
def tickets_csv(account: AccountView, alleys: list[str]) -> Response:
    """The list under the same filters, every page, as CSV (UTF-8 with BOM, for Excel)."""
    status, alley = _filters(alleys)
    found = bot().rt.issues.find(status=status, alley=alley, within=alleys)
    return Response(issue_export.csv_bytes(found), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=tickets.csv"})


@bp.get("/tickets/<ticket>")
@staff_page
def ticket(account: AccountView, alleys: list[str], ticket: str) -> tuple[str, int]:
    """One ticket: facts, photos, history and the actions its status allows; out of scope is 404."""
    return _ticket_page(account, _scoped(alleys, ticket))


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


def _scoped(alleys: list[str], ticket: str) -> IssueView:
    """The ticket if it is in the person's scope; otherwise 404, exactly as for a ticket that does not exist."""
    try:
        issue = bot().rt.issues.show(ticket)
    except IssueError:
        abort(404)
    if issue.alley not in alleys:
        abort(404)
    return issue


def _ticket_page(account: AccountView, issue: IssueView, error: tuple[str, str] | None = None,
                 status: int = 200) -> tuple[str, int]:
    rt = bot().rt
    history = [{**e, "at": datetime.fromisoformat(e["at"])} for e in rt.issues.history(issue.ticket)]
    return render_template("console/ticket.html", account=account, issue=issue, history=history,
                           names=issue_texts.EVENT_NAMES, actions=issue_texts.DESK_ACTIONS,
                           departments=rt.config.issues.departments, error=error,
                           done=session.pop("done", None), max_photos=rt.config.issues.max_photos), status


@bp.post("/tickets/<ticket>/<action>")
@staff_page
def act(account: AccountView, alleys: list[str], ticket: str, action: str) -> Any:
    """One action on a ticket: the same service call as in chat, audited, notified the same way."""
    request.max_content_length = UPLOAD_BYTES  # the webhook's 1 MB cap is for XML, not a desk's photos
    check_csrf()
    if action not in issue_texts.DESK_ACTIONS:
        abort(404)
    issue = _scoped(alleys, ticket)
    rt, form, audit = bot().rt, request.form, audit_of(account)
    try:
        if action == "merge":
            rt.issues.merge(account.user_id, ticket, form.get("into", "").strip(), audit=audit)
        elif action == "message":
            rt.issues.message(account.user_id, ticket, form.get("text", ""), audit=audit)
        else:
            uploads = [f.read() for f in request.files.getlist("photos") if f.filename]
            rt.issues.act(account.user_id, ticket, action, note=form.get("note") or None,
                          department=form.get("department") or None, uploads=uploads, audit=audit)
    except IssueError as exc:
        field, problem = issue_texts.DESK_ERRORS.get(exc.code, ("操作", str(exc)))
        problem = problem.format(status=issue.status_name, into=form.get("into", ""), detail=exc,
                                 max_photos=rt.config.issues.max_photos, max_message=MAX_MESSAGE_CHARS)
        return _ticket_page(account, issue, (field, problem), 409 if exc.code == "status" else 400)
    session["done"] = issue_texts.DESK_DONE[action]
    return redirect(url_for("console.ticket", ticket=ticket), 303)


@bp.get("/tickets/<ticket>/photos/<int:photo_id>")
@staff_page
def photo(account: AccountView, alleys: list[str], ticket: str, photo_id: int) -> Response:
    """A stored photo of a ticket in scope (``?size=thumb`` for the thumbnail)."""
    issue = _scoped(alleys, ticket)
    found = next((p for p in issue.photos if p.id == photo_id), None)
    ref = None if found is None else found.thumb_path if request.args.get("size") == "thumb" else found.path
    if ref is None:
        abort(404)
    return Response(bot().rt.issue_photos.file(ref), mimetype="image/jpeg",
                    headers={"Cache-Control": "private, max-age=86400"})
