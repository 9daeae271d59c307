"""调查 at the desk: create a poll under the chat's rules, watch its results and correlations, close, export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from flask import Response, abort, redirect, render_template, request, session, url_for

from bot.accounts.service import AccountView
from bot.core.clock import BEIJING
from bot.polls import export as poll_export
from bot.polls import texts as poll_texts
from bot.polls.service import SCALES, PollError, PollSummary
from webhooks.console.base import audit_of, bot, bp, check_csrf, staff_page
from webhooks.console.tickets import offices_of

MAX_QUESTIONS = 10  # as in chat (bot/handlers/poll.py)
MAX_QUESTION_CHARS = 100


LIST_PAGE = 30


def _polls(alleys: list[str]) -> list[PollSummary]:
    """The polls of the scope, narrowed by the query string: open or closed, an alley."""
    state, alley = request.args.get("state") or "", request.args.get("alley") or ""
    found = bot().rt.polls.within(alleys, offices_of(alleys), limit=1000)
    return [p for p in found
            if (not state or p.poll.open == (state == "open"))
            and (not alley or alley in p.audience.split("、") or p.audience in offices_of([alley]))]


def _list(account: AccountView, alleys: list[str], error: tuple[str, str] | None = None,
          status: int = 200) -> tuple[str, int]:
    polls = _polls(alleys)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query = {k: v for k, v in request.args.items() if k in ("state", "alley") and v}
    return render_template("console/polls.html", account=account, alleys=alleys, error=error, form=request.form,
                           polls=polls[(page - 1) * LIST_PAGE:page * LIST_PAGE], total=len(polls), page=page,
                           pages=max(1, -(-len(polls) // LIST_PAGE)), query=query, scales=poll_texts.SCALE_NAMES,
                           offices=offices_of(alleys) if account.role == "staff" else [],
                           max_questions=MAX_QUESTIONS, done=session.pop("done", None)), status


@bp.get("/polls.csv")
@staff_page
def polls_csv(account: AccountView, alleys: list[str]) -> Response:
    """The list under the same filters (UTF-8 with BOM): each poll's audience, questions and answers."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["编号", "调查对象", "发起时间", "截止时间", "状态", "回答人数", "问题"])
    for p in _polls(alleys):
        writer.writerow([p.poll.id, p.audience, p.created_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"),
                         p.closes_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if p.closes_at else "",
                         "进行中" if p.poll.open else "已结束", p.answered,
                         "；".join(q.text for q in p.poll.questions)])
    return Response(buffer.getvalue().encode("utf-8-sig"), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=polls.csv"})


@bp.get("/polls")
@staff_page
def polls(account: AccountView, alleys: list[str]) -> tuple[str, int]:
    """The polls of the scope, with how many answered, and the form for a new one."""
    return _list(account, alleys)


@bp.post("/polls")
@staff_page
def poll_create(account: AccountView, alleys: list[str]) -> Any:
    """Create a poll for an alley in scope (or the whole street office, for its staff); it is pushed to its
    audience the same way as one created in chat."""
    check_csrf()
    form = request.form
    questions = [q.strip() for q in form.get("questions", "").splitlines() if q.strip()]
    target = form.get("target", "")
    problem = None
    if not questions:
        problem = ("问题", "请至少写一个问题，一行一个。")
    elif len(questions) > MAX_QUESTIONS or any(len(q) > MAX_QUESTION_CHARS for q in questions):
        problem = ("问题", f"最多 {MAX_QUESTIONS} 个问题，每个不超过 {MAX_QUESTION_CHARS} 字。")
    elif form.get("scale") not in SCALES:
        problem = ("选项", "请选择满意度或赞同度。")
    elif target not in alleys and not (account.role == "staff" and target in offices_of(alleys)):
        problem = ("调查对象", "只能调查自己负责的胡同（街道工作人员可以选全街道）。")
    closes = None
    if problem is None and form.get("closes_at"):
        try:
            closes = datetime.fromisoformat(form["closes_at"]).replace(tzinfo=BEIJING).astimezone(UTC)
        except ValueError:
            problem = ("截止时间", "请选一个日期和时间，或留空一直开放到手动结束。")
    if problem is not None:
        return _list(account, alleys, problem, 400)
    office = target if target not in alleys else None
    try:
        poll = bot().rt.polls.create(questions, form["scale"], alleys=[] if office else [target],
                                     street_office=office, closes_at=closes, created_by=account.openid,
                                     audit=audit_of(account))
    except PollError:
        return _list(account, alleys, ("截止时间", "截止时间已经过去了。"), 400)
    session["done"] = poll_texts.DESK_CREATED
    return redirect(url_for("console.poll", poll_id=poll.id), 303)


def _scoped(alleys: list[str], poll_id: int) -> PollSummary:
    found = next((p for p in bot().rt.polls.within(alleys, offices_of(alleys), limit=1000) if p.poll.id == poll_id),
                 None)
    if found is None:
        abort(404)
    return found


@bp.get("/polls/<int:poll_id>")
@staff_page
def poll(account: AccountView, alleys: list[str], poll_id: int) -> str:
    """Results: answers per question with mean and 95% interval, per alley (small groups hidden), and the
    correlation table between questions."""
    found = _scoped(alleys, poll_id)
    results = bot().rt.polls.results(poll_id)
    return render_template("console/poll.html", account=account, s=found, results=results, chart=_chart(results),
                           labels=_labels(found), done=session.pop("done", None))


def _chart(results: dict[str, Any]) -> dict[str, Any]:
    return {"questions": [q["text"] for q in results["questions"]],
            **{k: [q["distribution"][k] for q in results["questions"]] for k in ("1", "2", "3")}}


def _labels(found: PollSummary) -> list[str]:
    return poll_texts.SCALE_NAMES.get(found.poll.scale, "3/2/1").split("/")


@bp.get("/polls/<int:poll_id>/results")
@staff_page
def poll_results(account: AccountView, alleys: list[str], poll_id: int) -> str:
    """The results alone, for the page's own refresh while the poll is open."""
    found = _scoped(alleys, poll_id)
    results = bot().rt.polls.results(poll_id)
    return render_template("console/poll_results.html", s=found, results=results, chart=_chart(results),
                           labels=_labels(found))


@bp.post("/polls/<int:poll_id>/close")
@staff_page
def poll_close(account: AccountView, alleys: list[str], poll_id: int) -> Any:
    check_csrf()
    _scoped(alleys, poll_id)
    bot().rt.polls.close(poll_id, audit=audit_of(account))
    session["done"] = poll_texts.DESK_CLOSED
    return redirect(url_for("console.poll", poll_id=poll_id), 303)


@bp.get("/polls/<int:poll_id>.csv")
@staff_page
def poll_csv(account: AccountView, alleys: list[str], poll_id: int) -> Response:
    _scoped(alleys, poll_id)
    return Response(poll_export.csv_bytes(bot().rt.polls.results(poll_id)), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=poll-{poll_id}.csv"})


@bp.get("/polls/<int:poll_id>.xlsx")
@staff_page
def poll_xlsx(account: AccountView, alleys: list[str], poll_id: int) -> Response:
    _scoped(alleys, poll_id)
    return Response(poll_export.xlsx_bytes(bot().rt.polls.results(poll_id)),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=poll-{poll_id}.xlsx"})
