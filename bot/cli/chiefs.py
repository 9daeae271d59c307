"""``alleybot chiefs`` and ``alleybot alleys``: the scorecard (考核) and the alley ledger (台账)."""

from __future__ import annotations

import click

from bot.cli.base import alley_named, cli, emit, runtime


@cli.group()
def chiefs() -> None:
    """街巷长: scorecards."""


@chiefs.command("scorecard")
@click.option("--week", help="an ISO week, e.g. 2026-W48")
@click.option("--month", help="a month, e.g. 2026-11")
@click.option("--quarter", help="a quarter, e.g. 2026-Q4 (the 季通报)")
@click.option("--street-office", help="one street office's chiefs only")
@click.option("--json", "as_json", is_flag=True)
def chiefs_scorecard(week: str | None, month: str | None, quarter: str | None, street_office: str | None,
                     as_json: bool) -> None:
    """Score every alley's chief for the period (百分制, config/assessment.yml), best first."""
    from bot.chiefs.assessment import PeriodError, period

    if sum(x is not None for x in (week, month, quarter)) != 1:
        raise click.ClickException("name exactly one period: --week 2026-W48, --month 2026-11 or --quarter 2026-Q4")
    try:
        p = period(week, month, quarter)
    except PeriodError as exc:
        raise click.ClickException(str(exc)) from exc
    rt = runtime()
    if street_office and street_office not in rt.config.street_offices:
        raise click.ClickException(f"no street office {street_office}; known: {', '.join(rt.config.street_offices)}")
    cards = rt.assessment.scorecards(p, street_office)
    if as_json:
        emit([c.as_json() for c in cards])
        return
    for c in cards:
        parts = " ".join(f"{k}{v:g}" for k, v in c.card.parts.items())
        click.echo(f"{c.alley:8} {c.chief:6} {c.card.score:5.1f} {c.card.grade}  {parts}")


@chiefs.command("progress-notices")
@click.option("--send", is_flag=True, help="send last month's notices now (what the worker does on the 1st)")
@click.option("--json", "as_json", is_flag=True)
def chiefs_progress_notices(send: bool, as_json: bool) -> None:
    """定期公开: the alleys whose residents get last month's figures; --send sends what is due (cron)."""
    rt = runtime()
    alleys = sorted(rt.progress_notices.enabled([a.name for a in rt.config.alleys]))
    sent = rt.progress_notices.send_due() if send else []
    if as_json:
        emit({"alleys": alleys, "sent": sent})
    else:
        click.echo(f"alleys: {'、'.join(alleys) or '(none)'}; broadcasts sent: {sent}")


@cli.group()
def alleys() -> None:
    """Alleys: the ledger."""


@alleys.command("ledger")
@click.argument("name")
@click.option("--month", help="the month of the figures (default this month)")
@click.option("--json", "as_json", is_flag=True)
def alleys_ledger(name: str, month: str | None, as_json: bool) -> None:
    """The alley's 台账: each 十无 item's open tickets and last patrol, and the month's figures."""
    from bot.chiefs.assessment import PeriodError
    from bot.chiefs.ledger import LedgerError

    rt = runtime()
    alley = alley_named(rt, name)
    if alley is None:
        raise click.ClickException(f"no alley {name}")
    try:
        ledger = rt.ledgers.ledger(alley, month)
    except (LedgerError, PeriodError) as exc:
        raise click.ClickException(str(exc)) from exc
    doc = ledger.as_json()
    if as_json:
        emit(doc)
        return
    click.echo(f"{alley}（{ledger.street_office}，街巷长 {ledger.chief}） 最近巡街：{ledger.last_patrol or '无'}")
    for item in ledger.items:
        click.echo(f"  {item.item:8} 未办结 {item.open:3}  最早 {item.oldest_ticket or '-':12} "
                   f"巡街发现 {item.last_found or '-'}")
    m = doc["month"]
    click.echo(f"{m['month']}: 收到 {m['received']}，办结 {m['resolved']}，按时 {m['on_time']}，评价 {m['rated']}")
