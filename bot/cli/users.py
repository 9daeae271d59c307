"""Users and roles: grant a role (a steward gets what an approved application gives), block abuse."""

from __future__ import annotations

import click

from bot.cli.base import alley_named, cli, emit, runtime


@cli.group()
def users() -> None:
    """Users and roles."""


@users.command("grant")
@click.argument("openid")
@click.argument("role", type=click.Choice(["resident", "steward", "chief", "staff"]))
@click.option("--alley", default=None, help="The alley a chief or steward serves.")
@click.option("--json", "as_json", is_flag=True)
def users_grant(openid: str, role: str, alley: str | None, as_json: bool) -> None:
    """Give OPENID a ROLE (resident, steward, chief or staff)."""
    from bot.accounts.service import AccountError
    from bot.stewards.service import StewardError

    if role == "steward" and not alley:
        raise click.UsageError("a steward serves an alley: add --alley NAME")
    rt = runtime()
    if alley:
        alley = alley_named(rt, alley) or alley
    try:
        view = rt.grant_role(openid, role, alley)
    except (AccountError, StewardError) as exc:
        raise click.ClickException(str(exc)) from exc
    served = alley if role == "steward" else view.duty_alley
    doc = {"openid": view.openid, "role": view.role, "alley": served}
    emit(doc) if as_json else click.echo(f"{view.openid}: {view.role} {served or ''}".rstrip())



@users.command("block")
@click.argument("openid")
@click.option("--undo", is_flag=True, help="Allow the user to report again.")
def users_block(openid: str, undo: bool) -> None:
    """Stop OPENID's reports (abuse): they get a polite refusal and nothing is forwarded."""
    view = runtime().accounts.block(openid, blocked=not undo)
    click.echo(f"{view.openid}: {'blocked' if view.blocked else 'may report'}")
