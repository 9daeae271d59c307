"""Fixtures: a database and Redis per backend, the fake WeChat API, the app and a chat helper.

Backends: ALLEYBOT_TEST_DB=postgres|sqlite|auto and ALLEYBOT_TEST_REDIS=real|fake|auto. In CI (CI=true) an
unreachable PostgreSQL or Redis is a failure, never a skip; on a laptop ``auto`` falls back to SQLite and
fakeredis, and tests that need a real Redis are skipped there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from bot.core import redis_conn
from bot.core.db import upgrade
from bot.core.settings import Settings
from bot.dispatch import Bot
from bot.runtime import Runtime
from bot.simulator import Simulator
from bot.wechat.fake_api import FakeWeChatServer
from webhooks.app import create_app

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DB_CHOICE = os.environ.get("ALLEYBOT_TEST_DB", "auto")
REDIS_CHOICE = os.environ.get("ALLEYBOT_TEST_REDIS", "auto")
TOKEN, APPID = "test-token", "wx-test-app"
# One trained NLU model for the whole run, subprocesses included (they inherit the environment).
NLU_CACHE = str(Path(__file__).resolve().parents[1] / "var" / "nlu-test-cache")
os.environ.setdefault("ALLEYBOT_NLU_CACHE", NLU_CACHE)


# Modules whose tests start processes (the worker, `alleybot serve`, the CLI as installed, Rasa).
pytest_plugins = ["tests.console_people"]  # the console tests' people, for the Flask-client and browser tests

SLOW_MODULES = ("test_worker", "test_cli", "test_nlu_eval", "test_serve", "test_rasa", "test_console_browser",
                "test_send_rate")  # test_send_rate waits out real seconds of the rate limiter


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the slow tier: process-starting modules and tests that need the real Redis. What is left is the
    fast tier (`bash scripts/test.sh -m "not slow"` on SQLite + fakeredis), run after every change."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module in SLOW_MODULES or "real_redis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def _unavailable(what: str, exc: Exception) -> None:
    message = f"{what} is unreachable: {exc}"
    if IN_CI:
        pytest.fail(f"{message} (CI requires it; .ci/run should have started it)", pytrace=False)
    pytest.skip(message)


def _postgres_reachable() -> Exception | None:
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return exc
    return None


def _redis_reachable() -> Exception | None:
    try:
        redis_lib.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return exc
    return None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database at the migrations' head, dropped at the end of the session."""
    use_pg = DB_CHOICE == "postgres" or (DB_CHOICE == "auto" and (IN_CI or _postgres_reachable() is None))
    if not use_pg:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        upgrade(url)
        yield url
        return
    problem = _postgres_reachable()
    if problem:
        _unavailable("PostgreSQL", problem)
    name = f"alleybot_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    """The Redis the app uses: a real server, or None for the embedded fakeredis."""
    if REDIS_CHOICE == "fake":
        return None
    problem = _redis_reachable()
    if problem is None:
        return REDIS_URL
    if REDIS_CHOICE == "real" or IN_CI:
        _unavailable("Redis", problem)
    return None


@pytest.fixture()
def real_redis_url() -> str:
    """For tests that are about cross-process behaviour: only a real Redis server can show it."""
    problem = _redis_reachable()
    if problem:
        _unavailable("Redis", problem)
    redis_lib.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWeChatServer]:
    server = FakeWeChatServer().start()
    yield server
    server.stop()


def make_settings(database_url: str, redis_url: str | None, fake: FakeWeChatServer, var_dir: Path,
                  **extra: str) -> Settings:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url or "",
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": "test-secret",
        "WECHAT_API_BASE": fake.base_url,
        "ALLEYBOT_VAR_DIR": str(var_dir),
        "ALLEYBOT_REPLY_BUDGET": "3.0",
        "ALLEYBOT_MAP_TILES": "none",  # no tile server is reachable from a test
        "ALLEYBOT_NLU_CACHE": os.environ["ALLEYBOT_NLU_CACHE"],
        **extra,
    }
    return Settings.from_env(env)


def _clean_database(url: str) -> None:
    """Empty every table, children before parents (the list comes from the models, never kept by hand)."""
    from bot.core.models import Base

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@pytest.fixture()
def settings(database_url: str, redis_url: str | None, fake_wechat: FakeWeChatServer,
             tmp_path: Path) -> Settings:
    _clean_database(database_url)
    if redis_url:
        redis_lib.Redis.from_url(redis_url).flushdb()
    # The in-process fakeredis is one server per process: a runtime built on it earlier (an embedded-default
    # test, a CLI run in process) may have left an access_token the reset fake WeChat no longer knows.
    redis_conn.connect(None).flushall()
    fake_wechat.reset()
    return make_settings(database_url, redis_url, fake_wechat, tmp_path)


@pytest.fixture(scope="session")
def shared_reading(fake_wechat: FakeWeChatServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The config, the NLU and the parking knowledge, read once per session: every test reads the same files,
    and parsing them again (YAML, the NLU's vocabulary and cache) was half of the fast tier's time."""
    from bot.core.config import load_config
    from bot.parking.knowledge import load_parking
    from nlu.factory import make_nlu

    settings = make_settings("sqlite://", None, fake_wechat, tmp_path_factory.mktemp("reading"))
    config = load_config(settings.config_dir)
    return {
        "config": config,
        "nlu": make_nlu(settings.nlu_options, config.vocabulary()),
        "parking_kb": load_parking(settings.config_dir / "parking.yml", set(config.street_offices),
                                   frozenset(o.district for o in config.street_offices.values())),
    }


@pytest.fixture()
def rt(settings: Settings, shared_reading: dict[str, Any]) -> Iterator[Runtime]:
    runtime = Runtime.build(settings, **shared_reading)
    runtime.accounts.seed_alleys(runtime.config)
    runtime.rewards.seed()
    yield runtime
    runtime.engine.dispose()


@pytest.fixture()
def app(rt: Runtime) -> Flask:
    return create_app(bot=Bot(rt))


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def chat(app: Flask) -> Simulator:
    """A WeChat user talking to the app through signed XML (the same code as `alleybot chat`)."""
    return Simulator(app, "o_resident_1")


@pytest.fixture()
def run_jobs(rt: Runtime) -> Callable[[], None]:
    """Run the queued jobs to the end: a real RQ worker (in-process) on real Redis; inline mode already ran them."""
    def run() -> None:
        if rt.jobs.inline:
            return
        from rq import SimpleWorker

        from bot.core.jobs import QUEUE_NAME, set_worker_runtime

        set_worker_runtime(rt)
        SimpleWorker([QUEUE_NAME], connection=rt.redis).work(burst=True)
    return run
