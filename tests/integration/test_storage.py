"""Migrations on the test backend, seeding, healthz, and the inbound log's unique key."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from flask.testing import FlaskClient

from bot.core.config import load_config
from bot.core.db import alembic_config, upgrade
from bot.runtime import Runtime


def test_migrations_go_down_and_up_again(rt: Runtime) -> None:
    url = rt.settings.database_url
    rt.engine.dispose()
    command.downgrade(alembic_config(url), "base")
    assert set(sa.inspect(sa.create_engine(url)).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    tables = set(sa.inspect(sa.create_engine(url)).get_table_names())
    assert {"alleys", "users", "inbound_messages"} <= tables


def test_seed_is_idempotent_and_follows_config_edits(rt: Runtime) -> None:
    again = rt.accounts.seed_alleys(rt.config)
    assert (again.created, again.updated) == (0, 0)
    assert len(rt.accounts.alleys()) == len(rt.config.alleys)


def test_seed_updates_a_changed_chief(rt: Runtime, tmp_path: object) -> None:
    import dataclasses

    config = load_config(rt.settings.config_dir)
    changed = dataclasses.replace(config, alleys=(dataclasses.replace(config.alleys[0], chief="新街巷长"),
                                                  *config.alleys[1:]))
    result = rt.accounts.seed_alleys(changed)
    assert (result.created, result.updated) == (0, 1)
    assert rt.accounts.alleys()[0].chief == "新街巷长"


def test_inbox_key_is_unique(rt: Runtime) -> None:
    assert rt.inbox.record("o1", "k1", "text", "handled")
    assert not rt.inbox.record("o1", "k1", "text", "handled")
    assert len(rt.inbox.entries()) == 1


def test_role_constraint_holds_in_the_database(rt: Runtime) -> None:
    import pytest

    with pytest.raises(sa.exc.IntegrityError), rt.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (openid, role, subscribed, anonymised, created_at, updated_at) "
                             "VALUES ('o_bad', 'mayor', true, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))


def test_healthz_reports_every_dependency(client: FlaskClient, rt: Runtime) -> None:
    res = client.get("/healthz")
    assert res.status_code == 200
    doc = res.get_json()
    assert doc["status"] == "ok"
    assert doc["database"] == {"ok": True, "backend": rt.engine.dialect.name}
    assert doc["redis"]["ok"] and doc["redis"]["backend"] in ("redis", "fakeredis")
    assert doc["nlu"]["ok"] and doc["nlu"]["backend"] == "builtin"


@pytest.mark.slow  # waits out a connect timeout
def test_healthz_is_503_when_redis_is_down(rt: Runtime) -> None:

    import redis

    from bot.dispatch import Bot
    from webhooks.app import create_app

    broken = rt.with_changes(redis=redis.Redis(port=1, socket_connect_timeout=0.2))
    res = create_app(bot=Bot(broken)).test_client().get("/healthz")
    assert res.status_code == 503
    doc = res.get_json()
    assert doc["status"] == "degraded" and doc["redis"]["ok"] is False and doc["database"]["ok"] is True


def test_the_migrations_build_the_schema_the_models_describe(rt: Runtime) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.core.models import Base

    with rt.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Only differences that matter: a table, a column or an index the other side lacks.
    assert [d for d in diff if isinstance(d, tuple) and d[0] in (
        "add_table", "remove_table", "add_column", "remove_column", "add_index", "remove_index")] == []
