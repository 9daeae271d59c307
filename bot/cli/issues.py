"""随手拍 tickets: list, show, export, set a status, overdue reminders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bot.cli.base import alley_named, cli, emit, runtime


@cli.group()
def issues() -> None:
    """随手拍 tickets: list, show, export, change status, overdue."""


ISSUE_STATUSES = ["received", "accepted", "in_progress", "forwarded", "resolved", "rejected", "duplicate", "withdrawn"]


def _alley_option(rt: Any, alley: str | None) -> str | None:
    if not alley:
        return None
    canonical = alley_named(rt, alley)
    if canonical is None:
        raise click.ClickException(f"unknown alley: {alley}")
    return str(canonical)


@issues.command("list")
@click.option("--status", type=click.Choice(ISSUE_STATUSES), default=None)
@click.option("--alley", default=None)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="at most this many (a page)")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="skip this many first")
@click.option("--json", "as_json", is_flag=True)
def issues_list(status: str | None, alley: str | None, limit: int | None, offset: int, as_json: bool) -> None:
    """Issues with ticket, alley, category, status, reporter and photos (oldest first)."""
    rt = runtime()
    found = rt.issues.find(status=status, alley=_alley_option(rt, alley), limit=limit, offset=offset)
    if as_json:
        emit([i.as_json() for i in found])
        return
    for i in found:
        click.echo(f"{i.ticket}  {i.alley}  {i.category_name}  {i.status_name}  {i.followers + 1}人  {i.text[:30]}")


@issues.command("show")
@click.argument("ticket")
@click.option("--json", "as_json", is_flag=True)
def issues_show(ticket: str, as_json: bool) -> None:
    """One ticket with its photos and its history of changes."""
    from bot.issues.service import IssueError

    rt = runtime()
    try:
        doc = {**rt.issues.show(ticket).as_json(), "history": rt.issues.history(ticket)}
    except IssueError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        emit(doc)
        return
    for key, value in doc.items():
        click.echo(f"{key}: {value}")


@issues.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option("--status", type=click.Choice(ISSUE_STATUSES), default=None)
@click.option("--alley", default=None)
@click.option("--out", type=click.Path(path_type=Path), default=None)
def issues_export(fmt: str, status: str | None, alley: str | None, out: Path | None) -> None:
    """Write the issues as CSV or XLSX; prints the file's path."""
    from bot.issues import export as issue_export

    rt = runtime()
    found = rt.issues.find(status=status, alley=_alley_option(rt, alley))
    path = out or rt.settings.var_dir / f"issues.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    {"csv": issue_export.write_csv, "xlsx": issue_export.write_xlsx}[fmt](found, path)
    click.echo(str(path))


@issues.command("set-status")
@click.argument("ticket")
@click.argument("status", type=click.Choice(ISSUE_STATUSES))
@click.option("--note", default=None, help="Shown to the reporter (resolution or reason).")
@click.option("--json", "as_json", is_flag=True)
def issues_set_status(ticket: str, status: str, note: str | None, as_json: bool) -> None:
    """Change a ticket's status as staff; the reporter and followers are told like after a chat command."""
    from bot.issues.service import IssueError

    try:
        view = runtime().issues.set_status(ticket, status, note)
    except IssueError as exc:
        raise click.ClickException(str(exc)) from exc
    emit(view.as_json()) if as_json else click.echo(f"{view.ticket}: {view.status}")


@issues.command("overdue")
@click.option("--remind", is_flag=True, help="Also remind the chiefs and escalate (what the worker does daily).")
@click.option("--json", "as_json", is_flag=True)
def issues_overdue(remind: bool, as_json: bool) -> None:
    """Open issues past their promised handling time."""
    rt = runtime()
    found = rt.issues.overdue()
    if remind:
        rt.issues.remind_overdue()
    if as_json:
        emit([i.as_json() for i in found])
        return
    for i in found:
        click.echo(f"{i.ticket}  {i.alley}  {i.category_name}  {i.status_name}  due {i.due_at:%Y-%m-%d}")
