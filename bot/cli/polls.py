"""满意度调查: create, results, export, close."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from bot.cli.base import alley_named, cli, emit, runtime


@cli.group()
def polls() -> None:
    """Quick satisfaction polls."""


@polls.command("create")
@click.option("--question", "questions", multiple=True, required=True, help="Repeat for several questions.")
@click.option("--alley", "alleys", multiple=True, help="Target alley (repeatable); none: everyone.")
@click.option("--street-office", default=None, help="Target a whole street office.")
@click.option("--scale", type=click.Choice(["satisfaction", "agreement"]), default="satisfaction", show_default=True)
@click.option("--opens", default=None, help="Opening time, e.g. 2026-12-01T08:00 (Beijing time); default now.")
@click.option("--closes", default=None, help="Closing time, e.g. 2026-12-01T18:00 (Beijing time).")
@click.option("--json", "as_json", is_flag=True)
def polls_create(questions: tuple[str, ...], alleys: tuple[str, ...], street_office: str | None, scale: str,
                 opens: str | None, closes: str | None, as_json: bool) -> None:
    """Create a poll and invite its audience inside WeChat's 48-hour window (from its opening time)."""
    from datetime import datetime, timedelta, timezone

    from bot.polls.service import PollError

    def moment(option: str, value: str | None) -> datetime | None:
        if not value:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise click.ClickException(f"{option}: not a time: {value}") from exc
        # a clerk writes Beijing time
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone(timedelta(hours=8)))

    rt = runtime()
    names = [alley_named(rt, a) or a for a in alleys]
    try:
        poll = rt.polls.create(questions, scale, names, street_office, moment("--closes", closes), created_by="cli",
                               opens_at=moment("--opens", opens))
    except PollError as exc:
        raise click.ClickException(str(exc)) from exc
    emit({"id": poll.id}) if as_json else click.echo(f"poll {poll.id} created")


@polls.command("results")
@click.argument("poll_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def polls_results(poll_id: int, as_json: bool) -> None:
    """N, distribution, mean and 95% CI per question and alley; correlations between questions."""
    from bot.polls.service import PollError

    try:
        doc = runtime().polls.results(poll_id)
    except PollError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        emit(doc)
        return
    for q in doc["questions"]:
        click.echo(f"{q['text']}: n={q['n']} mean={q['mean']} ci95={q['ci95']} {q['distribution']}")
    for c in doc["correlations"]:
        click.echo(f"r({c['a']}, {c['b']}) = {c['r']} (p={c['p']}, n={c['n']})")


@polls.command("export")
@click.argument("poll_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "png"]), required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Default: var/poll-<ID>.<format>.")
def polls_export(poll_id: int, fmt: str, out: Path | None) -> None:
    """Write the results as CSV or XLSX (tables) or PNG (a chart); prints the file's path."""
    from bot.polls import export as poll_export
    from bot.polls.service import PollError

    rt = runtime()
    try:
        doc = rt.polls.results(poll_id)
    except PollError as exc:
        raise click.ClickException(str(exc)) from exc
    path = out or rt.settings.var_dir / f"poll-{poll_id}.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    {"csv": poll_export.write_csv, "xlsx": poll_export.write_xlsx, "png": poll_export.write_png}[fmt](doc, path)
    click.echo(str(path))


@polls.command("close")
@click.argument("poll_id", type=int)
def polls_close(poll_id: int) -> None:
    """Close a poll: later answers are refused politely."""
    from bot.polls.service import PollError

    try:
        runtime().polls.close(poll_id)
    except PollError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"poll {poll_id} closed")
