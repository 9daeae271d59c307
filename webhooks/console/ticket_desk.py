"""The desk's other ticket work: a problem taken by phone or at the counter, 常用回复, and bulk actions."""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import abort, redirect, render_template, request, session, url_for

from bot.accounts.service import AccountView
from bot.issues import texts as issue_texts
from bot.issues.service import IssueError
from bot.issues.templates import TEMPLATE_ACTIONS, TemplateError
from webhooks.console.base import audit_of, bot, bp, check_csrf, staff_page
from webhooks.console.tickets import offices_of

ONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
BULK_ACTIONS = ("assign", "forward", "message")
BULK_MAX = 200  # tickets per bulk action: one page of the list, four times over
TEMPLATE_FIELDS = {"title": "标题", "body": "内容", "category": "问题类别", "action": "用于", "not_found": "常用回复"}


def _entry_page(account: AccountView, alleys: list[str], error: tuple[str, str] | None = None,
                status: int = 200) -> tuple[str, int]:
    rt = bot().rt
    return render_template("console/ticket_new.html", account=account, alleys=alleys, error=error,
                           categories=[(c.code, c.name) for c in rt.config.categories], form=request.form,
                           channels={k: v for k, v in issue_texts.CHANNELS.items() if k != "wechat"},
                           once=secrets.token_urlsafe(16)), status


@bp.get("/tickets/new")
@staff_page
def ticket_new(account: AccountView, alleys: list[str]) -> tuple[str, int]:
    """The form for a problem taken by phone or at the counter."""
    return _entry_page(account, alleys)


@bp.post("/tickets/new")
@staff_page
def ticket_enter(account: AccountView, alleys: list[str]) -> Any:
    """Enter it: routed, deadlined and notified like a 随手拍 report; the same form sent twice is one ticket."""
    check_csrf()
    form = request.form
    once = form.get("once", "")
    if not ONCE.fullmatch(once):
        abort(400)
    if form.get("alley") not in alleys:
        return _entry_page(account, alleys, issue_texts.DESK_ERRORS["alley"], 400)
    try:
        issue = bot().rt.issues.enter(account.user_id, once, form["alley"], form.get("category", ""),
                                      form.get("text", ""), form.get("channel", ""),
                                      resident=form.get("resident") or None, name=form.get("name"),
                                      phone=form.get("phone"), audit=audit_of(account))
    except IssueError as exc:
        error = issue_texts.DESK_ERRORS.get(exc.code, ("登记", str(exc)))
        return _entry_page(account, alleys, error, 400)
    session["done"] = issue_texts.ENTERED.format(ticket=issue.ticket)
    return redirect(url_for("console.ticket", ticket=issue.ticket), 303)


@bp.post("/tickets/bulk")
@staff_page
def tickets_bulk(account: AccountView, alleys: list[str]) -> Any:
    """One action on the tickets ticked in the list: one audited service call per ticket; what could not be
    done is named ticket by ticket, and the rest is done."""
    check_csrf()
    rt, form = bot().rt, request.form
    action = form.get("action", "")
    tickets = list(dict.fromkeys(t for t in form.getlist("ticket") if t.isdigit()))[:BULK_MAX]
    if action not in BULK_ACTIONS or not tickets:
        session["done"] = issue_texts.BULK_NOTHING
        return redirect(_back(), 303)
    done, refused = [], []
    for ticket in tickets:
        try:
            issue = rt.issues.show(ticket)
            if issue.alley not in alleys:
                raise IssueError("not_found", ticket)
            if action == "assign":
                assignee = form.get("assignee") or ""
                rt.issues.assign(account.user_id, ticket, int(assignee) if assignee.isdigit() else None,
                                 audit=audit_of(account))
            elif action == "forward":
                rt.issues.act(account.user_id, ticket, "forward", department=form.get("department") or None,
                              audit=audit_of(account))
            else:
                rt.issues.message(account.user_id, ticket, form.get("text", ""), audit=audit_of(account))
            done.append(ticket)
        except IssueError as exc:
            field, _ = issue_texts.DESK_ERRORS.get(exc.code, ("工单", ""))
            refused.append(f"{ticket}（{field if exc.code != 'not_found' else '没有找到'}）")
    session["done"] = issue_texts.bulk_done(issue_texts.DESK_ACTIONS[action], len(done), refused)
    return redirect(_back(), 303)


def _back() -> str:
    """Back to the list the form was on (its filters kept); only ever a console page of this site."""
    back = request.form.get("back", "")
    return back if back.startswith("/console/tickets") and "//" not in back else url_for("console.tickets")


@bp.get("/templates")
@staff_page
def templates(account: AccountView, alleys: list[str]) -> tuple[str, int]:
    """常用回复 of the person's street office(s): staff write and edit them, chiefs read them."""
    return _templates_page(account, alleys)


def _templates_page(account: AccountView, alleys: list[str], error: tuple[str, str] | None = None,
                    status: int = 200) -> tuple[str, int]:
    rt = bot().rt
    return render_template("console/templates.html", account=account, offices=offices_of(alleys), error=error,
                           templates=rt.reply_templates.of(offices_of(alleys)), editable=account.role == "staff",
                           categories={c.code: c.name for c in rt.config.categories},
                           uses={a: issue_texts.DESK_ACTIONS[a] for a in TEMPLATE_ACTIONS},
                           done=session.pop("done", None)), status


@bp.post("/templates")
@staff_page
def template_save(account: AccountView, alleys: list[str]) -> Any:
    """Write or change a template of one's own street office."""
    check_csrf()
    if account.role != "staff":
        abort(403)
    form = request.form
    office = form.get("office", "")
    if office not in offices_of(alleys):
        abort(404)
    template_id = form.get("id", "")
    try:
        bot().rt.reply_templates.save(office, form.get("title", ""), form.get("body", ""),
                                      form.get("category") or None, form.get("action") or None,
                                      int(template_id) if template_id.isdigit() else None, audit=audit_of(account))
    except TemplateError as exc:
        return _templates_page(account, alleys, (TEMPLATE_FIELDS.get(exc.code, "常用回复"),
                                                 issue_texts.TEMPLATE_ERRORS.get(exc.code, str(exc))), 400)
    session["done"] = issue_texts.TEMPLATE_SAVED
    return redirect(url_for("console.templates"), 303)


@bp.post("/templates/<int:template_id>/delete")
@staff_page
def template_delete(account: AccountView, alleys: list[str], template_id: int) -> Any:
    check_csrf()
    if account.role != "staff":
        abort(403)
    office = request.form.get("office", "")
    if office not in offices_of(alleys):
        abort(404)
    try:
        bot().rt.reply_templates.delete(office, template_id, audit=audit_of(account))
    except TemplateError:
        abort(404)
    session["done"] = issue_texts.TEMPLATE_DELETED
    return redirect(url_for("console.templates"), 303)
