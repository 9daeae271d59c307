"""小巷管家 and points: balances, the ledger check, applications, patrols, reports, redemptions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.base import cli, emit, runtime


@cli.group()
def points() -> None:
    """Steward points: balances and ledger entries."""


@points.command("show")
@click.argument("openid")
@click.option("--json", "as_json", is_flag=True)
def points_show(openid: str, as_json: bool) -> None:
    """Balance (from the ledger) and its entries, newest first."""
    rt = runtime()
    account = rt.ledger.account_of(openid)
    if account is None:
        raise click.ClickException(f"no user {openid}")
    entries = rt.ledger.entries(account, limit=1000)
    doc = {"openid": openid, "balance": rt.ledger.balance(account),
           "entries": [{"key": e.key, "kind": e.kind, "amount": e.amount, "memo": e.memo, "day": e.day,
                        "at": e.at.isoformat()} for e in entries]}
    if as_json:
        emit(doc)
        return
    click.echo(f"{openid}: {doc['balance']}")
    for e in entries:
        click.echo(f"  {e.day} {e.amount:+d} {e.kind} {e.memo}")


@points.command("verify")
def points_verify() -> None:
    """Recompute every balance from the entries; exit 1 on any mismatch or unbalanced transfer."""
    problems = runtime().ledger.verify()
    for line in problems:
        click.echo(line, err=True)
    if problems:
        sys.exit(1)
    click.echo("ledger consistent")


@cli.group()
def stewards() -> None:
    """小巷管家: applications, patrol confirmations, monthly reports, redemptions."""


@stewards.command("list")
@click.option("--status", type=click.Choice(["pending", "approved", "declined", "withdrawn"]), default=None)
@click.option("--json", "as_json", is_flag=True)
def stewards_list(status: str | None, as_json: bool) -> None:
    """Applications and claimed alleys."""
    claims = runtime().stewards.find(status)
    if as_json:
        emit([c.as_json() for c in claims])
        return
    for c in claims:
        click.echo(f"{c.id}  {c.name}  {c.alley}  {c.status}  {c.openid}")


def _decide(claim_id: int, approve: bool) -> None:
    from bot.stewards.service import StewardError

    try:
        view = runtime().stewards.decide(None, claim_id, approve)
    except StewardError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{view.id}: {view.status}")


@stewards.command("approve")
@click.argument("claim_id", type=int)
def stewards_approve(claim_id: int) -> None:
    """Approve application CLAIM_ID: the applicant becomes the alley's steward and is told."""
    _decide(claim_id, True)


@stewards.command("decline")
@click.argument("claim_id", type=int)
def stewards_decline(claim_id: int) -> None:
    """Decline application CLAIM_ID; the applicant is told."""
    _decide(claim_id, False)


@stewards.command("confirm-patrol")
@click.argument("patrol_id", type=int)
def stewards_confirm_patrol(patrol_id: int) -> None:
    """Vouch for a patrol that has no location: its points are paid."""
    try:
        view = runtime().patrols.confirm(None, patrol_id)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"patrol {view.id}: {view.points} points")


@stewards.command("report")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), default="json")
@click.option("--out", type=click.Path(path_type=Path), default=None)
def stewards_report(month: str, fmt: str, out: Path | None) -> None:
    """Per steward and alley: patrols, hours, visits, fixes, reports, points (月评)."""
    import csv

    rt = runtime()
    rows = rt.patrols.report(month)
    if fmt == "json":
        emit({"month": month, "rows": rows, "leaderboard": rt.patrols.leaderboard(month)})
        return
    header = ["steward", "openid", "alley", "patrols", "hours", "visits", "fixes", "reports", "points"]
    path = out or rt.settings.var_dir / f"stewards-{month}.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows([r[h] for h in header] for r in rows)
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = month
        sheet.append(header)
        for r in rows:
            sheet.append([r[h] for h in header])
        book.save(path)
    click.echo(str(path))


@stewards.command("redemption")
@click.argument("redemption_id", type=int)
@click.argument("action", type=click.Choice(["fulfil", "cancel"]))
def stewards_redemption(redemption_id: int, action: str) -> None:
    """Hand a reserved reward over (fulfil) or cancel it (points and stock go back)."""
    from bot.stewards.rewards import RedeemError

    try:
        view = runtime().rewards.decide(redemption_id, give=action == "fulfil")
    except RedeemError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"redemption {view.id}: {view.status}")
