"""A fresh PostgreSQL database for a benchmark, next to the tests' one (TEST_POSTGRES_URL)."""

from __future__ import annotations

import os

import sqlalchemy as sa

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fresh_database(name: str) -> str:
    """Drop and create database ``name``; its URL."""
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
