"""Notifications as an outbox: owed in the change's transaction, delivered with claims, retried, recovered.

The kill test runs a real `alleybot worker` on real Redis and PostgreSQL and SIGKILLs it while WeChat holds
one of its messages; a new worker finishes the rest without pushing anything twice.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.core.models import IssueEvent, Notice
from bot.runtime import Runtime
from bot.wechat.fake_api import FakeWeChatServer
from tests.people import uid
from tests.workers import kill_worker_and_horses

ROOT = Path(__file__).resolve().parents[2]
CHIEF = "o_chief_gm"
Jobs = Callable[[], None]


def pushes(fake: FakeWeChatServer) -> Counter[str]:
    return Counter(c.body["touser"] for c in fake.calls("message/custom/send") if c.answered == 0)


def report_together(rt: Runtime, people: list[str]) -> str:
    """The first person reports a pile of rubble in 光明胡同; everyone else reports the same and follows it."""
    ticket = ""
    for n, openid in enumerate(people):
        rt.accounts.bind_alley(openid, "光明胡同")
        rt.accounts.seen(openid)
        logged = rt.issues.report(uid(rt, openid), f"src-{openid}", "光明胡同", "piled_materials",
                                  text="门口一堆建筑垃圾")
        assert logged.issue is not None
        ticket = ticket or logged.issue.ticket
        assert logged.issue.ticket == ticket, n
    return ticket


def test_the_change_and_what_it_owes_commit_together(rt: Runtime, run_jobs: Jobs) -> None:
    rt.accounts.grant_role(CHIEF, "chief", "光明胡同")
    rt.accounts.seen(CHIEF)
    claim = rt.stewards.apply(uid(rt, "o_applicant"), "光明胡同", "张大姐")
    # Written by the application's own transaction; with workers, still owed until a job delivers it (the
    # embedded default runs that job inside the call).
    owed = "sent" if rt.jobs.inline else "pending"
    assert rt.notices.statuses(f"claim:{claim.id}:pending:") == {f"claim:{claim.id}:pending:{CHIEF}": owed}
    run_jobs()
    assert rt.notices.statuses(f"claim:{claim.id}:pending:") == {f"claim:{claim.id}:pending:{CHIEF}": "sent"}


def test_a_lost_job_is_found_by_the_sweep(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    """The event was committed but its notify job never ran (a crash between commit and enqueue)."""
    from bot.notices.jobs import sweep_outbox

    rt.accounts.grant_role(CHIEF, "chief", "光明胡同")
    rt.accounts.seen(CHIEF)
    ticket = report_together(rt, ["o_lost_1"])
    before = pushes(fake_wechat)[CHIEF]
    engine = sa.create_engine(rt.settings.database_url)
    with engine.begin() as conn:  # as if the job had been lost: owed, not written out, an hour old
        conn.execute(sa.update(IssueEvent).values(notified=False, at=datetime.now(UTC) - timedelta(hours=1)))
        conn.execute(sa.delete(Notice))
    engine.dispose()
    sweep_outbox(rt)
    assert pushes(fake_wechat)[CHIEF] == before + 1  # the chief hears of the ticket, once
    sweep_outbox(rt)
    assert pushes(fake_wechat)[CHIEF] == before + 1
    assert ticket


def test_transient_failures_retry_then_hold(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    from bot.notices.service import RETRY_DELAYS

    rt.accounts.seen("o_flaky")
    fake_wechat.inject("message/custom/send", errcode=45009, times=1)
    first = rt.notices.send("o_flaky", "test:flaky", "您反映的问题已办结")
    assert first.status == "retry"  # (the embedded default then runs the retry job at once)
    if not rt.jobs.inline:
        [due] = rt.notices.recover(now=datetime.now(UTC) + RETRY_DELAYS[0])
        assert rt.notices.deliver(due, now=datetime.now(UTC) + RETRY_DELAYS[0]).status == "sent"
    assert rt.notices.statuses("test:flaky") == {"test:flaky": "sent"}
    fake_wechat.inject("message/custom/send", errcode=-1, times=len(RETRY_DELAYS) + 1)
    rt.notices.send("o_flaky", "test:down", "通知")
    if not rt.jobs.inline:
        later = datetime.now(UTC)
        for _ in RETRY_DELAYS:
            later += timedelta(hours=1)
            for due in rt.notices.recover(now=later):
                rt.notices.deliver(due, now=later)
    assert rt.notices.statuses("test:down") == {"test:down": "held"}  # shown at their next message
    assert rt.notices.take_held(uid(rt, "o_flaky")) == ["通知"]


def test_a_worker_killed_mid_notification_resumes_without_pushing_twice(
        rt: Runtime, real_redis_url: str, fake_wechat: FakeWeChatServer) -> None:
    settings = dataclasses.replace(rt.settings, redis_url=real_redis_url)
    queued = Runtime.build(settings, wechat=rt.wechat)  # enqueues to real Redis: a separate worker sends
    queued.accounts.grant_role(CHIEF, "chief", "光明胡同")
    queued.accounts.seen(CHIEF)
    people = [f"o_n{n:02d}" for n in range(24)]
    ticket = report_together(queued, people)
    env = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": real_redis_url,
           "WECHAT_APPID": settings.wechat_appid, "WECHAT_SECRET": settings.wechat_secret,
           "WECHAT_API_BASE": settings.wechat_api_base, "WECHAT_TOKEN": settings.wechat_token,
           "ALLEYBOT_VAR_DIR": str(settings.var_dir)}
    warmup = subprocess.run([sys.executable, "-m", "bot", "worker", "--burst"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert warmup.returncode == 0, warmup.stderr
    fake_wechat.reset()
    queued.issues.act(uid(queued, CHIEF), ticket, "resolve", note="已清运")  # 24 residents are owed the news
    fake_wechat.inject("message/custom/send", delay=0.15, times=1000)
    worker = subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(fake_wechat.calls("message/custom/send")) < 8:
            assert time.monotonic() < deadline and worker.poll() is None, "the worker never got going"
            time.sleep(0.005)
        kill_worker_and_horses(worker.pid)  # WeChat holds the 8th message; its sender is gone
    finally:
        worker.wait(10)
    first = pushes(fake_wechat)
    keys = queued.notices.statuses("issue:")
    assert Counter(keys.values())["sending"] == 1 and Counter(keys.values())["pending"] > 0
    engine = sa.create_engine(settings.database_url)
    with engine.begin() as conn:  # a minute passes: the claim of the dead worker is stale
        conn.execute(sa.update(Notice).where(Notice.status == "sending")
                     .values(updated_at=datetime.now(UTC) - timedelta(minutes=5)))
    engine.dispose()
    fake_wechat.reset()
    done = subprocess.run([sys.executable, "-m", "bot", "worker", "--burst"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    second = pushes(fake_wechat)
    final = queued.notices.statuses("issue:")
    states = Counter(final.values())
    assert states["pending"] == 0 and states["sending"] == 0 and states["uncertain"] == 1, states
    [uncertain] = [k.rsplit(":", 1)[1] for k, v in final.items() if v == "uncertain"]
    assert all(n == 1 for n in (first + second).values())  # nobody was pushed twice
    assert set(first + second) | {uncertain} >= set(people)  # and nobody was forgotten
    assert queued.notices.take_held(uid(queued, uncertain))  # the uncertain one is shown at their next message
    queued.engine.dispose()
