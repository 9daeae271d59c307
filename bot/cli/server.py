"""Running the bot: the webhook, workers, migrations, seeding, the terminal chat, the menu."""

from __future__ import annotations

import click

from bot.cli.base import cli, emit, runtime
from bot.core.logging_setup import configure_logging
from bot.core.settings import Settings


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

    from bot.core.jobs import QUEUE_NAME, set_worker_runtime

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    if settings.uses_fake_redis:
        raise click.ClickException("REDIS_URL 未设置：嵌入模式下任务在 webhook 进程里直接执行，不需要 worker。")
    from bot.accounts.jobs import schedule_pruning
    from bot.broadcasts.jobs import resume_broadcasts
    from bot.chiefs.jobs import schedule_progress_notices
    from bot.issues.jobs import schedule_reminders

    rt = runtime()
    set_worker_runtime(rt)
    schedule_reminders(rt)  # the daily overdue reminder: one chain however many workers start
    schedule_pruning(rt)  # the inbound log's retention, daily
    schedule_progress_notices(rt)  # 定期公开: the first of each month
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
    from bot.core.db import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    click.echo(f"database at head ({settings.database_url.split('@')[-1]})", err=True)


@db.command("prune-inbox")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="keep this many days (default ALLEYBOT_INBOX_RETENTION_DAYS, 180)")
@click.option("--json", "as_json", is_flag=True)
def db_prune_inbox(days: int | None, as_json: bool) -> None:
    """Delete inbound-log rows older than the retention (workers do it daily; this is for cron without them)."""
    from datetime import UTC, datetime, timedelta

    rt = runtime()
    before = datetime.now(UTC) - timedelta(days=days or rt.settings.inbox_retention_days)
    removed = rt.inbox.prune(before)
    if as_json:
        emit({"deleted": removed, "before": before.isoformat()})
    else:
        click.echo(f"{removed} inbound-log rows before {before.date()} deleted")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
def seed(as_json: bool) -> None:
    """Load config/ into the database (idempotent)."""
    rt = runtime()
    result = rt.accounts.seed_alleys(rt.config)
    rewards = rt.rewards.seed()
    if as_json:
        emit({"alleys_created": result.created, "alleys_updated": result.updated, "rewards_created": rewards})
    else:
        click.echo(f"alleys: {result.created} created, {result.updated} updated; rewards: {rewards} created")



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
    rt = runtime()
    rt.wechat.create_menu(rt.config.menu)
    click.echo("menu pushed", err=True)
