"""A real `alleybot worker` process takes jobs from real Redis and calls the (fake) WeChat API."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.settings import Settings
from bot.runtime import Runtime
from bot.wechat.fake_api import FakeWeChatServer
from tests.conftest import make_settings


def run_worker_burst(settings: Settings) -> subprocess.CompletedProcess[str]:
    """`alleybot worker --burst` as its own process, on these settings' database and (real) Redis."""
    env = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url or "",
           "WECHAT_APPID": settings.wechat_appid, "WECHAT_SECRET": settings.wechat_secret,
           "WECHAT_API_BASE": settings.wechat_api_base}
    return subprocess.run([sys.executable, "-m", "bot", "worker", "--burst"], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.realredis
def test_worker_process_delivers_a_late_reply(rt: Runtime, real_redis_url: str, fake_wechat: FakeWeChatServer,
                                              tmp_path: Path) -> None:
    settings = make_settings(rt.settings.database_url, real_redis_url, fake_wechat, tmp_path)
    queued = Runtime.build(settings)
    queued.accounts.seen("o_worker")
    queued.inbox.record("o_worker", "k-late", "text", "processing")
    queued.jobs.enqueue("deliver_reply", openid="o_worker", text="您反映的问题已收到", msg_key="k-late")
    assert fake_wechat.calls("message/custom/send") == []  # queued, not sent inline
    out = run_worker_burst(settings)
    assert out.returncode == 0, out.stderr
    [call] = fake_wechat.calls("message/custom/send")
    assert call.body["touser"] == "o_worker" and call.body["text"]["content"] == "您反映的问题已收到"
    assert [e.outcome for e in queued.inbox.entries()] == ["late"]


def test_worker_refuses_to_start_without_redis(rt: Runtime) -> None:
    env = {**os.environ, "DATABASE_URL": rt.settings.database_url, "REDIS_URL": ""}
    out = subprocess.run([sys.executable, "-m", "bot", "worker", "--burst"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode != 0 and "REDIS_URL" in out.stderr


def test_inline_jobs_in_the_embedded_default(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    inline = Runtime.build(dataclasses.replace(rt.settings, redis_url=None))
    assert inline.jobs.inline
    inline.accounts.seen("o_inline")
    inline.jobs.enqueue("deliver_reply", openid="o_inline", text="内联", msg_key="k-inline")
    assert [c.body["touser"] for c in fake_wechat.calls("message/custom/send")] == ["o_inline"]


@pytest.mark.realredis
def test_a_forking_worker_runs_many_database_jobs_each_on_its_own_connections(
        rt: Runtime, real_redis_url: str, fake_wechat: FakeWeChatServer, tmp_path: Path) -> None:
    """Every job runs in a forked work horse after the parent used its pool (broadcast recovery at start).
    A horse that repeats a statement gets it prepared by psycopg on the inherited session; the next horse,
    forked from the parent's stale view of that session, prepared it again: DuplicatePreparedStatement."""
    from rq import Queue

    from bot.broadcasts.service import Target
    from bot.core.jobs import QUEUE_NAME

    settings = make_settings(rt.settings.database_url, real_redis_url, fake_wechat, tmp_path)
    queued = Runtime.build(settings)
    residents = [f"o_fork_{n}" for n in range(12)]
    for openid in residents:
        queued.accounts.bind_alley(openid, "光明胡同")
        queued.accounts.seen(openid)
    notices = [f"第{n}条通知" for n in range(4)]
    for text in notices:
        queued.broadcasts.create(None, Target(alleys=("光明胡同",)), text)
    out = run_worker_burst(settings)
    assert out.returncode == 0, out.stderr
    assert "DuplicatePreparedStatement" not in out.stderr, out.stderr[-3000:]
    assert len(Queue(QUEUE_NAME, connection=queued.redis).failed_job_registry) == 0
    got = sorted((c.body["touser"], t) for c in fake_wechat.calls("message/custom/send") for t in notices
                 if t in c.body["text"]["content"])
    assert got == sorted((o, t) for o in residents for t in notices)  # each resident each notice, once
