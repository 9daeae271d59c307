"""发通知: send a notice to alleys, a street office or everyone; the delivery report."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from bot.cli.base import alley_named, cli, emit, runtime


@cli.group()
def broadcast() -> None:
    """Notices to the residents of alleys."""


@broadcast.command("send")
@click.option("--alley", "alleys", multiple=True, help="An alley (repeat for several).")
@click.option("--street-office", default=None)
@click.option("--everyone", is_flag=True)
@click.option("--text", required=True)
@click.option("--at", "at", default=None, help="When to send (ISO time, Beijing time if no zone); default now.")
@click.option("--json", "as_json", is_flag=True)
def broadcast_send(alleys: tuple[str, ...], street_office: str | None, everyone: bool, text: str, at: str | None,
                   as_json: bool) -> None:
    """Send TEXT to the residents, stewards and chiefs of the alleys (or a street office, or everyone)."""
    from bot.broadcasts.service import BroadcastError, Target
    from bot.core.clock import BEIJING

    rt = runtime()
    names = tuple(alley_named(rt, a) or a for a in alleys)
    if not (names or street_office or everyone):
        raise click.ClickException("say who: --alley NAME, --street-office NAME or --everyone")
    when = None
    if at:
        try:
            when = datetime.fromisoformat(at)
        except ValueError as exc:
            raise click.ClickException(f"--at: not a time: {at}") from exc
        when = (when if when.tzinfo else when.replace(tzinfo=BEIJING)).astimezone(UTC)
    try:
        created = rt.broadcasts.create(None, Target(names, street_office, everyone), text, at=when)
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from exc
    doc = {"id": created.id, "recipients": created.recipients, "send_at": created.send_at.isoformat()}
    emit(doc) if as_json else click.echo(f"broadcast {created.id}: {created.recipients} recipients")


@broadcast.command("report")
@click.argument("broadcast_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def broadcast_report(broadcast_id: int, as_json: bool) -> None:
    """Sent, failed, held, unreachable and acknowledged counts."""
    from bot.broadcasts.service import BroadcastError

    try:
        doc = runtime().broadcasts.report(broadcast_id)
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from exc
    emit(doc) if as_json else click.echo(" ".join(f"{k}={v}" for k, v in doc.items()))
