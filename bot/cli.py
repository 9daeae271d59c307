"""``alleybot``: the command line of DESIGN §5. Every ``--json`` prints exactly one JSON document."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from bot.config import ConfigError
from bot.logging_setup import configure_logging
from bot.settings import Settings


def _runtime() -> Any:
    from bot.runtime import Runtime

    return Runtime.build(Settings.from_env())


def _emit(doc: Any) -> None:
    click.echo(json.dumps(doc, ensure_ascii=False, default=str))


@click.group()
def cli() -> None:
    """街巷助手 alleybot."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the webhook in one process (production runs gunicorn: see README)."""
    from werkzeug.serving import run_simple

    from webhooks.app import create_app

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    if settings.uses_fake_redis:
        click.echo("REDIS_URL 未设置：使用进程内 fakeredis，去重、对话状态和任务都只在这个进程里，"
                   "所以只能运行一个进程。生产环境请设置 REDIS_URL 并用 gunicorn 多进程运行。", err=True)
    app = create_app(settings)
    click.echo(f"alleybot listening on http://{host}:{port}/wechat", err=True)
    run_simple(host, port, app, threaded=True, use_reloader=False)


@cli.command()
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker for media downloads, notifications and broadcasts."""
    from rq import Worker

    from bot.jobs import QUEUE_NAME, set_worker_runtime

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    if settings.uses_fake_redis:
        raise click.ClickException("REDIS_URL 未设置：嵌入模式下任务在 webhook 进程里直接执行，不需要 worker。")
    from bot.jobs import resume_broadcasts, schedule_reminders

    rt = _runtime()
    set_worker_runtime(rt)
    schedule_reminders(rt)  # the daily overdue reminder: one chain however many workers start
    rt.jobs.enqueue("sweep_outbox")  # notices a dead worker owed: now, then every minute
    resumed = resume_broadcasts(rt)  # a worker killed mid-broadcast: the rest is sent, nothing twice
    if resumed:
        click.echo(f"resuming broadcasts {resumed}", err=True)
    # with_scheduler: jobs queued for later (a poll that opens tomorrow) are moved to the queue on time.
    Worker([QUEUE_NAME], connection=rt.redis).work(burst=burst, with_scheduler=True)


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations up to the newest."""
    from bot.db import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    click.echo(f"database at head ({settings.database_url.split('@')[-1]})", err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True)
def seed(as_json: bool) -> None:
    """Load config/ into the database (idempotent)."""
    rt = _runtime()
    result = rt.accounts.seed_alleys(rt.config)
    rewards = rt.rewards.seed()
    if as_json:
        _emit({"alleys_created": result.created, "alleys_updated": result.updated, "rewards_created": rewards})
    else:
        click.echo(f"alleys: {result.created} created, {result.updated} updated; rewards: {rewards} created")


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
    from bot.services.accounts import AccountError
    from bot.services.stewards import StewardError

    if role == "steward" and not alley:
        raise click.UsageError("a steward serves an alley: add --alley NAME")
    rt = _runtime()
    if alley:
        alley = rt.gazetteer.alley_in(alley) or alley
    try:
        if role == "steward" and alley:
            rt.stewards.appoint(openid, alley)  # what an approved application gives, not just the role
            found = rt.accounts.get(openid)
            assert found is not None
            view = found
        else:
            view = rt.accounts.grant_role(openid, role, alley)
    except (AccountError, StewardError) as exc:
        raise click.ClickException(str(exc)) from exc
    served = alley if role == "steward" else view.duty_alley
    doc = {"openid": view.openid, "role": view.role, "alley": served}
    _emit(doc) if as_json else click.echo(f"{view.openid}: {view.role} {served or ''}".rstrip())


@cli.command()
@click.option("--as", "openid", default="o_chat_resident", show_default=True, help="The WeChat openid to be.")
def chat(openid: str) -> None:
    """Talk to the bot in the terminal (text, /photo FILE, /location LAT LNG, /menu KEY, /as, /role)."""
    from bot.simulator import repl
    from webhooks.app import create_app

    settings = Settings.from_env()
    configure_logging("WARNING")
    repl(create_app(settings), openid)


@cli.group()
def menu() -> None:
    """The official account's custom menu."""


@menu.command("push")
def menu_push() -> None:
    """Send config/menu.json to WeChat (menu/create)."""
    rt = _runtime()
    rt.wechat.create_menu(rt.config.menu)
    click.echo("menu pushed", err=True)


@cli.group()
def nlu() -> None:
    """Natural-language understanding."""


BACKEND = click.Choice(["builtin", "rasa"])


def _nlu_backend(backend: str | None) -> Any:
    from bot.config import load_config
    from nlu.factory import make_nlu

    settings = Settings.from_env()
    try:
        return make_nlu(settings, load_config(settings.config_dir), backend)
    except ValueError as exc:  # a setting missing or wrong: one line, not a traceback
        raise click.ClickException(str(exc)) from exc


@nlu.command("parse")
@click.argument("text")
@click.option("--backend", type=BACKEND, default=None, help="Default: NLU_BACKEND.")
@click.option("--json", "as_json", is_flag=True)
def nlu_parse(text: str, backend: str | None, as_json: bool) -> None:
    """Print the intent, confidence and canonical entities of TEXT."""
    parsed = _nlu_backend(backend).parse(text)
    if as_json:
        _emit(parsed.to_json())
    else:
        click.echo(f"{parsed.intent} ({parsed.confidence:.2f}) {parsed.entities}")


@nlu.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--backend", type=BACKEND, default=None, help="Default: NLU_BACKEND.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--min-accuracy", type=float, default=None, help="Exit 1 when intent accuracy is lower.")
@click.option("--min-entity-f1", type=float, default=None, help="Exit 1 when entity F1 is lower.")
@click.option("--min-oos-recall", type=float, default=None, help="Exit 1 when out_of_scope recall is lower.")
def nlu_eval(file: Path, backend: str | None, as_json: bool, min_accuracy: float | None,
             min_entity_f1: float | None, min_oos_recall: float | None) -> None:
    """Evaluate a backend on FILE (JSONL of {"text", "intent", "entities"})."""
    from nlu.evaluation import evaluate, read_jsonl

    try:
        rows = read_jsonl(file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    report = evaluate(_nlu_backend(backend), rows)
    if as_json:
        _emit(report)
    else:
        click.echo(f"n={report['n']} intent_accuracy={report['intent_accuracy']:.3f} "
                   f"entity_f1={report['entity_f1']:.3f} p50={report['latency_ms']['p50']}ms "
                   f"p99={report['latency_ms']['p99']}ms backends={report['backends']}")
        for row in report["misclassified"]:
            click.echo(f"  ✗ {row['text']}  {row['expected']} → {row['predicted']} ({row['confidence']})")
    oos = report["per_intent"].get("out_of_scope", {}).get("recall", 1.0)
    failures = [f"{name} {value:.3f} < {floor}" for name, value, floor in (
        ("intent_accuracy", report["intent_accuracy"], min_accuracy),
        ("entity_f1", report["entity_f1"], min_entity_f1),
        ("out_of_scope recall", oos, min_oos_recall)) if floor is not None and value < floor]
    if failures:
        click.echo("below target: " + "; ".join(failures), err=True)
        sys.exit(1)


@nlu.command("rasa-train")
@click.option("--force", is_flag=True, help="Train even if the model is up to date.")
def nlu_rasa_train(force: bool) -> None:
    """Build var/rasa from nlu/data and config/, and train the Rasa model (skipped when up to date)."""
    from bot.config import load_config
    from nlu import rasa_project
    from nlu.factory import DATA_DIR

    settings = Settings.from_env()
    try:
        project = rasa_project.train(load_config(settings.config_dir), DATA_DIR, settings.var_dir / "rasa", force)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(project.model))


@nlu.command("rasa-serve")
@click.option("--port", default=5005, show_default=True, type=int)
def nlu_rasa_serve(port: int) -> None:
    """Serve the trained Rasa model on 127.0.0.1 (`rasa run --enable-api`, with RASA_TOKEN as auth token)."""
    import os

    from nlu import rasa_project

    settings = Settings.from_env()
    project = rasa_project.Project(settings.var_dir / "rasa")
    if not project.model.is_file():
        raise click.ClickException("no trained model: run `alleybot nlu rasa-train` first")
    command = rasa_project.serve_command(project, port, settings.rasa_token)
    os.execv(command[0], command)


@cli.group()
def parking() -> None:
    """Parking-rule answers (config/parking.yml)."""


@parking.command("ask")
@click.argument("text")
@click.option("--alley", default=None, help="Answer for this alley's street office.")
@click.option("--json", "as_json", is_flag=True)
def parking_ask(text: str, alley: str | None, as_json: bool) -> None:
    """Answer TEXT; topic is null when the knowledge base does not know."""
    rt = _runtime()
    reply = rt.parking.ask(text, rt.gazetteer.alley_in(alley) if alley else None, record_gap=False)
    doc = {"topic": reply.topic, "answer": reply.answer, "confidence": round(reply.confidence, 4)}
    _emit(doc) if as_json else click.echo(f"[{reply.topic}] {reply.answer or '（不知道）'}")


@parking.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.option("--min-accuracy", type=float, default=None, help="Exit 1 when top-1 accuracy is lower.")
def parking_eval(file: Path, as_json: bool, min_accuracy: float | None) -> None:
    """Top-1 accuracy on FILE (JSONL of {"text", "topic"}; topic null = should not know)."""
    rt = _runtime()
    rows = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    wrong = []
    for row in rows:
        got = rt.parking.ask(row["text"], record_gap=False)
        if got.topic != row.get("topic"):
            wrong.append({"text": row["text"], "expected": row.get("topic"), "predicted": got.topic,
                          "confidence": round(got.confidence, 3)})
    accuracy = round(1 - len(wrong) / len(rows), 4) if rows else 0.0
    if as_json:
        _emit({"top1_accuracy": accuracy, "n": len(rows), "misses": wrong})
    else:
        click.echo(f"n={len(rows)} top1_accuracy={accuracy:.3f}")
        for row in wrong:
            click.echo(f"  ✗ {row['text']}  {row['expected']} → {row['predicted']} ({row['confidence']})")
    if min_accuracy is not None and accuracy < min_accuracy:
        click.echo(f"below target: top1_accuracy {accuracy:.3f} < {min_accuracy}", err=True)
        sys.exit(1)


@parking.command("gaps")
@click.option("--json", "as_json", is_flag=True)
def parking_gaps(as_json: bool) -> None:
    """Questions residents asked that the knowledge base could not answer."""
    gaps = _runtime().parking.gaps()
    if as_json:
        _emit([{"question": g.question, "alley": g.alley, "best_topic": g.best_topic,
                "confidence": round(g.confidence, 4), "asked_at": g.asked_at.isoformat()} for g in gaps])
    else:
        for g in gaps:
            click.echo(f"{g.asked_at:%Y-%m-%d %H:%M} {g.alley or '-'} {g.question}")


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

    from bot.services.polls import PollError

    def moment(option: str, value: str | None) -> datetime | None:
        if not value:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise click.ClickException(f"{option}: not a time: {value}") from exc
        # a clerk writes Beijing time
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone(timedelta(hours=8)))

    rt = _runtime()
    names = [rt.gazetteer.alley_in(a) or a for a in alleys]
    try:
        poll = rt.polls.create(questions, scale, names, street_office, moment("--closes", closes), created_by="cli",
                               opens_at=moment("--opens", opens))
    except PollError as exc:
        raise click.ClickException(str(exc)) from exc
    _emit({"id": poll.id}) if as_json else click.echo(f"poll {poll.id} created")


@polls.command("results")
@click.argument("poll_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def polls_results(poll_id: int, as_json: bool) -> None:
    """N, distribution, mean and 95% CI per question and alley; correlations between questions."""
    from bot.services.polls import PollError

    try:
        doc = _runtime().polls.results(poll_id)
    except PollError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _emit(doc)
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
    from bot import poll_export
    from bot.services.polls import PollError

    rt = _runtime()
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
    from bot.services.polls import PollError

    try:
        _runtime().polls.close(poll_id)
    except PollError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"poll {poll_id} closed")


@users.command("block")
@click.argument("openid")
@click.option("--undo", is_flag=True, help="Allow the user to report again.")
def users_block(openid: str, undo: bool) -> None:
    """Stop OPENID's reports (abuse): they get a polite refusal and nothing is forwarded."""
    view = _runtime().accounts.block(openid, blocked=not undo)
    click.echo(f"{view.openid}: {'blocked' if view.blocked else 'may report'}")


@cli.group()
def issues() -> None:
    """随手拍 tickets: list, show, export, change status, overdue."""


ISSUE_STATUSES = ["received", "accepted", "in_progress", "forwarded", "resolved", "rejected", "duplicate", "withdrawn"]


def _alley_option(rt: Any, alley: str | None) -> str | None:
    if not alley:
        return None
    canonical = rt.gazetteer.alley_in(alley)
    if canonical is None:
        raise click.ClickException(f"unknown alley: {alley}")
    return str(canonical)


@issues.command("list")
@click.option("--status", type=click.Choice(ISSUE_STATUSES), default=None)
@click.option("--alley", default=None)
@click.option("--json", "as_json", is_flag=True)
def issues_list(status: str | None, alley: str | None, as_json: bool) -> None:
    """Issues with ticket, alley, category, status, reporter and photos (oldest first)."""
    rt = _runtime()
    found = rt.issues.find(status=status, alley=_alley_option(rt, alley))
    if as_json:
        _emit([i.as_json() for i in found])
        return
    for i in found:
        click.echo(f"{i.ticket}  {i.alley}  {i.category_name}  {i.status_name}  {i.followers + 1}人  {i.text[:30]}")


@issues.command("show")
@click.argument("ticket")
@click.option("--json", "as_json", is_flag=True)
def issues_show(ticket: str, as_json: bool) -> None:
    """One ticket with its photos and its history of changes."""
    from bot.services.issues import IssueError

    rt = _runtime()
    try:
        doc = {**rt.issues.show(ticket).as_json(), "history": rt.issues.history(ticket)}
    except IssueError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _emit(doc)
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
    from bot import issue_export

    rt = _runtime()
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
    from bot.services.issues import IssueError

    try:
        view = _runtime().issues.set_status(ticket, status, note)
    except IssueError as exc:
        raise click.ClickException(str(exc)) from exc
    _emit(view.as_json()) if as_json else click.echo(f"{view.ticket}: {view.status}")


@issues.command("overdue")
@click.option("--remind", is_flag=True, help="Also remind the chiefs and escalate (what the worker does daily).")
@click.option("--json", "as_json", is_flag=True)
def issues_overdue(remind: bool, as_json: bool) -> None:
    """Open issues past their promised handling time."""
    rt = _runtime()
    found = rt.issues.overdue()
    if remind:
        rt.issues.remind_overdue()
    if as_json:
        _emit([i.as_json() for i in found])
        return
    for i in found:
        click.echo(f"{i.ticket}  {i.alley}  {i.category_name}  {i.status_name}  due {i.due_at:%Y-%m-%d}")


@cli.group()
def points() -> None:
    """Steward points: balances and ledger entries."""


@points.command("show")
@click.argument("openid")
@click.option("--json", "as_json", is_flag=True)
def points_show(openid: str, as_json: bool) -> None:
    """Balance (from the ledger) and its entries, newest first."""
    rt = _runtime()
    account = rt.ledger.account_of(openid)
    if account is None:
        raise click.ClickException(f"no user {openid}")
    entries = rt.ledger.entries(account, limit=1000)
    doc = {"openid": openid, "balance": rt.ledger.balance(account),
           "entries": [{"key": e.key, "kind": e.kind, "amount": e.amount, "memo": e.memo, "day": e.day,
                        "at": e.at.isoformat()} for e in entries]}
    if as_json:
        _emit(doc)
        return
    click.echo(f"{openid}: {doc['balance']}")
    for e in entries:
        click.echo(f"  {e.day} {e.amount:+d} {e.kind} {e.memo}")


@points.command("verify")
def points_verify() -> None:
    """Recompute every balance from the entries; exit 1 on any mismatch or unbalanced transfer."""
    problems = _runtime().ledger.verify()
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
    claims = _runtime().stewards.find(status)
    if as_json:
        _emit([c.as_json() for c in claims])
        return
    for c in claims:
        click.echo(f"{c.id}  {c.name}  {c.alley}  {c.status}  {c.openid}")


def _decide(claim_id: int, approve: bool) -> None:
    from bot.services.stewards import StewardError

    try:
        view = _runtime().stewards.decide("cli", claim_id, approve)
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
        view = _runtime().patrols.confirm("cli", patrol_id)
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

    rt = _runtime()
    rows = rt.patrols.report(month)
    if fmt == "json":
        _emit({"month": month, "rows": rows, "leaderboard": rt.patrols.leaderboard(month)})
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
    from bot.services.rewards import RedeemError

    try:
        view = _runtime().rewards.decide(redemption_id, give=action == "fulfil")
    except RedeemError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"redemption {view.id}: {view.status}")


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
    from bot.clock import BEIJING
    from bot.services.broadcasts import BroadcastError, Target

    rt = _runtime()
    names = tuple(rt.gazetteer.alley_in(a) or a for a in alleys)
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
        created = rt.broadcasts.create("cli", Target(names, street_office, everyone), text, at=when)
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from exc
    doc = {"id": created.id, "recipients": created.recipients, "send_at": created.send_at.isoformat()}
    _emit(doc) if as_json else click.echo(f"broadcast {created.id}: {created.recipients} recipients")


@broadcast.command("report")
@click.argument("broadcast_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def broadcast_report(broadcast_id: int, as_json: bool) -> None:
    """Sent, failed, held, unreachable and acknowledged counts."""
    from bot.services.broadcasts import BroadcastError

    try:
        doc = _runtime().broadcasts.report(broadcast_id)
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from exc
    _emit(doc) if as_json else click.echo(" ".join(f"{k}={v}" for k, v in doc.items()))


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
