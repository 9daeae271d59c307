"""``alleybot console``: the staff console's administrator commands."""

from __future__ import annotations

import click

from bot.cli.base import cli, emit, runtime


@cli.group()
def console() -> None:
    """The staff console (/console)."""


@console.command("login-link")
@click.argument("openid")
@click.option("--json", "as_json", is_flag=True)
def console_login_link(openid: str, as_json: bool) -> None:
    """Print a one-time console login link for OPENID, a chief or staff member (valid 10 minutes)."""
    from bot.accounts.console_login import NotStaff

    rt = runtime()
    account = rt.accounts.get(openid)
    if account is None:
        raise click.ClickException(f"no user {openid}: they must follow the account and write to it first")
    try:
        url = rt.console_logins.link(account)
    except NotStaff as exc:
        raise click.ClickException(f"{openid} has no chief or staff role ({account.role}); no link issued") from exc
    if as_json:
        emit({"url": url})
    else:
        click.echo(url)
