"""工单 at the desk: the overview, the filtered list and its exports, one ticket's page and its actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Response, abort, redirect, render_template, request, session, url_for

from bot.accounts.service import AccountView
from bot.core.clock import BEIJING
from bot.issues import export as issue_export
from bot.issues import texts as issue_texts
from bot.issues.service import MAX_MESSAGE_CHARS, IssueError, IssueView, TicketFilter
from bot.issues.statistics import OPEN
from webhooks.console.base import audit_of, bot, bp, check_csrf, map_data, staff_page, status_names

PAGE_SIZE = 50
MAP_POINTS = 2000  # markers on the list's map: the newest, enough for a street office's month
UPLOAD_BYTES = 60 * 1024 * 1024  # after-photos of one action, straight from a phone or camera
TRIAGES = ("简易", "基础", "难点")
FILTER_KEYS = ("status", "alley", "category", "triage", "overdue", "since", "until", "q", "mine")
ORDER_NAMES = {"new": "最新反映", "old": "最早反映", "due": "期限最近"}
STATUSES = ["received", "accepted", "in_progress", "forwarded", "resolved", "rejected", "duplicate", "withdrawn"]


@bp.get("/")
@staff_page
def overview(account: AccountView, alleys: list[str]) -> str:
    """概览: counts by status, category, alley and month, handling times against the promise, ratings, the
    overdue count, trend charts and a map of recent reports, all within the scope."""
    rt = bot().rt
    board = rt.issue_stats.dashboard(alleys)
    categories = {c.code: c.name for c in rt.config.categories}
    chart = {
        "months": [m for m, _, _ in board.by_month], "reported": [r for _, r, _ in board.by_month],
        "resolved": [d for _, _, d in board.by_month],
        "categories": [categories.get(c, c) for c in board.by_category],
        "categoryOpen": [sum(n for st, n in v.items() if st in OPEN) for v in board.by_category.values()],
        "categoryClosed": [sum(n for st, n in v.items() if st not in OPEN) for v in board.by_category.values()],
    }
    overdue = rt.issues.find(where=TicketFilter(within=alleys, overdue=True), limit=10, order="due")
    return render_template("console/overview.html", account=account, alleys=alleys, board=board, overdue=overdue,
                           statuses=STATUSES, names=status_names(), categories=categories, chart=chart,
                           map=map_data(alleys, [{"lat": lat, "lng": lng} for lat, lng in board.heat]))


@bp.get("/tickets")
@staff_page
def tickets(account: AccountView, alleys: list[str]) -> tuple[str, int]:
    """工单: filtered by the query string (within scope), sorted, a page at a time."""
    rt, args = bot().rt, request.args
    page = max(1, args.get("page", 1, type=int) or 1)
    order = args.get("order") or "new"
    order = order if order in ORDER_NAMES else "new"
    error, found, total = None, [], 0
    try:
        where = _where(alleys, account.user_id)
    except FilterError as exc:
        error = (exc.field, exc.problem)
    else:
        total = rt.issues.count(where=where)
        found = rt.issues.find(where=where, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, order=order)
    query = {k: v for k, v in args.items() if k in FILTER_KEYS and v}
    return render_template(
        "console/tickets.html", account=account, alleys=alleys, tickets=found, query=query, order=order,
        orders=ORDER_NAMES, page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total, statuses=STATUSES,
        names=status_names(), categories=[(c.code, c.name) for c in rt.config.categories], error=error,
        triages=TRIAGES, assignees=rt.issues.assignees(*alleys), departments=rt.config.issues.departments,
        replies=[t for t in rt.reply_templates.of(offices_of(alleys)) if t.action in ("message", None)],
        back=request.full_path, done=session.pop("done", None)), 400 if error else 200


@bp.get("/tickets/map")
@staff_page
def tickets_map(account: AccountView, alleys: list[str]) -> tuple[str, int]:
    """The list's filters on a map: the newest located tickets as clustered markers, the alleys as lines."""
    rt, error, points = bot().rt, None, []
    try:
        where = _where(alleys, account.user_id)
    except FilterError as exc:
        error = (exc.field, exc.problem)
    else:
        points = [{"lat": p.lat, "lng": p.lng, "ticket": p.ticket, "label": f"{p.category_name} · {p.status_name}",
                   "url": url_for("console.ticket", ticket=p.ticket)} for p in rt.issues.located(where, MAP_POINTS)]
    query = {k: v for k, v in request.args.items() if k in FILTER_KEYS and v}
    return render_template("console/tickets_map.html", account=account, query=query, error=error,
                           map=map_data(alleys, points), shown=len(points), limit=MAP_POINTS), 400 if error else 200


@bp.get("/tickets.csv")
@staff_page
def tickets_csv(account: AccountView, alleys: list[str]) -> Response:
    """The list under the same filters, every page, as CSV (UTF-8 with BOM, for Excel)."""
    return _download(issue_export.csv_bytes(_export(account, alleys)), "text/csv", "csv")


@bp.get("/tickets.xlsx")
@staff_page
def tickets_xlsx(account: AccountView, alleys: list[str]) -> Response:
    """The list under the same filters, every page, as an Excel workbook."""
    return _download(issue_export.xlsx_bytes(_export(account, alleys)),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")


def _export(account: AccountView, alleys: list[str]) -> list[IssueView]:
    try:
        where = _where(alleys, account.user_id)
    except FilterError as exc:
        abort(400, f"{exc.field}: {exc.problem}")
    return bot().rt.issues.find(where=where)


def _download(data: bytes, mimetype: str, suffix: str) -> Response:
    name = f"tickets-{datetime.now(BEIJING):%Y%m%d-%H%M}.{suffix}"
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/tickets/<ticket>")
@staff_page
def ticket(account: AccountView, alleys: list[str], ticket: str) -> tuple[str, int]:
    """One ticket: facts, photos, history and the actions its status allows; out of scope is 404."""
    return _ticket_page(account, _scoped(alleys, ticket))


class FilterError(Exception):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


def _where(alleys: list[str], me: int) -> TicketFilter:
    """The filters of the query string, checked. An alley outside the scope lists nothing, not even whether it
    exists; a value that cannot be right says which field and why."""
    args, categories = request.args, {c.code for c in bot().rt.config.categories}
    status, alley = args.get("status") or None, args.get("alley") or None
    category, triage = args.get("category") or None, args.get("triage") or None
    if status is not None and status not in STATUSES:
        raise FilterError("状态", f"没有“{status}”这个状态")
    if category is not None and category not in categories:
        raise FilterError("问题类别", f"没有“{category}”这个类别")
    if triage is not None and triage not in TRIAGES:
        raise FilterError("分类", f"只有{'、'.join(TRIAGES)}三类")
    since, until = _day(args.get("since"), "起始日期"), _day(args.get("until"), "截止日期")
    if since and until and since > until:
        raise FilterError("日期", "起始日期晚于截止日期")
    text = (args.get("q") or "").replace("\x00", "").strip()[:100] or None  # PostgreSQL text holds no NUL
    out_of_scope = alley is not None and alley not in alleys  # lists nothing, as an empty scope does
    return TicketFilter(status=status, alley=None if out_of_scope else alley, within=[] if out_of_scope else alleys,
                        category=category, triage=triage, overdue=args.get("overdue") == "1", since=since,
                        until=until, text=text, assignee_id=me if args.get("mine") == "1" else None)


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(field, f"“{value[:20]}”不是日期，请写成 2026-11-01 这样") from None


def offices_of(alleys: list[str]) -> list[str]:
    config = bot().rt.config
    return sorted({spec.street_office for a in alleys if (spec := config.alley(a)) is not None})


def _person_id(value: str | None) -> int | None:
    """The assignee field: a user id, or empty for nobody; anything else is refused as a wrong assignee."""
    if not value:
        return None
    if not value.isdigit():
        raise IssueError("assignee", f"not a person: {value[:20]!r}")
    return int(value)


def _scoped(alleys: list[str], ticket: str) -> IssueView:
    """The ticket if it is in the person's scope; otherwise 404, exactly as for a ticket that does not exist."""
    if not ticket.isdigit():  # ticket numbers are digits; anything else names no ticket
        abort(404)
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
    templates = rt.reply_templates.of([issue.street_office], issue.category)
    return render_template("console/ticket.html", account=account, issue=issue, history=history,
                           names=issue_texts.EVENT_NAMES, actions=issue_texts.DESK_ACTIONS,
                           departments=rt.config.issues.departments, error=error,
                           done=session.pop("done", None), max_photos=rt.config.issues.max_photos,
                           assignees=rt.issues.assignees(issue.alley), channels=issue_texts.CHANNELS,
                           templates={a: [t for t in templates if t.action in (a, None)]
                                      for a in ("resolve", "reject", "reopen", "message")}), status


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
        elif action in ("publish", "unpublish"):
            rt.issues.publish(account.user_id, ticket, action == "publish", audit=audit)
        elif action == "assign":
            rt.issues.assign(account.user_id, ticket, _person_id(form.get("assignee")), audit=audit)
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
