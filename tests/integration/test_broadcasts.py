"""发通知 end to end: compose in chat, audience, delivery within WeChat's limits, exactly once, the report."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from bot.accounts import texts as account_texts
from bot.broadcasts import texts as broadcast_texts
from bot.broadcasts.service import BroadcastError, Broadcasts, Target
from bot.core.models import BroadcastDelivery, User
from bot.runtime import Runtime
from bot.simulator import Simulator
from bot.wechat.fake_api import FakeWeChatServer
from bot.wechat.messenger import Messenger
from bot.wechat.signing import message_xml
from tests.cli import run_cli
from tests.people import uid
from tests.workers import kill_worker_and_horses

ROOT = Path(__file__).resolve().parents[2]
CHIEF = "o_chief_gm"
Jobs = Callable[[], None]


def custom_sends(fake: FakeWeChatServer, about: str = "通知】") -> Counter[str]:
    """Notices each user was sent (other messages, such as an approval, are not counted)."""
    return Counter(c.body["touser"] for c in fake.calls("message/custom/send")
                   if c.answered == 0 and about in c.body.get("text", {}).get("content", ""))


def resident(rt: Runtime, openid: str, alley: str, seen_hours_ago: float = 0) -> None:
    rt.accounts.subscribe(openid, None)
    rt.accounts.bind_alley(openid, alley)
    rt.accounts.seen(openid, now=datetime.now(UTC) - timedelta(hours=seen_hours_ago))


@pytest.fixture()
def chief(rt: Runtime) -> str:
    rt.accounts.grant_role(CHIEF, "chief", "光明胡同")
    rt.accounts.seen(CHIEF)
    return CHIEF


@pytest.fixture()
def no_waiting(rt: Runtime) -> Runtime:
    """Retries without the real back-off seconds."""
    rt.broadcasts = Broadcasts(rt.uow, rt.config, rt.messenger, rt.notices, rt.redis, rt.jobs.enqueue,
                               sleep=lambda _: None)
    return rt


def test_a_chief_composes_in_chat_and_the_alley_hears_once(app: Flask, rt: Runtime, chief: str,
                                                           fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    resident(rt, "o_near", "光明胡同")
    resident(rt, "o_away", "光明胡同", seen_hours_ago=60)
    resident(rt, "o_other_alley", "东斜街")
    claim = rt.stewards.apply(uid(rt, "o_steward"), "光明胡同", "张大姐")
    rt.stewards.decide(uid(rt, chief), claim.id, True)
    rt.accounts.seen("o_steward")
    boss = Simulator(app, chief)
    preview = broadcast_texts.broadcast_preview("光明胡同", "明天9点到12点停水", 4)
    assert boss.text("发通知 光明胡同：明天9点到12点停水") == preview
    assert boss.text("好") == preview
    reply = boss.text("确认") or ""
    assert reply.startswith("通知已开始发送")
    run_jobs()
    message = broadcast_texts.broadcast_message(["光明胡同"], None, "明天9点到12点停水")
    assert custom_sends(fake_wechat, message) == Counter({"o_near": 1, CHIEF: 1, "o_steward": 1})
    sent = custom_sends(fake_wechat)
    assert "o_away" not in sent  # outside 48 h, no template: held for their next message
    away = Simulator(app, "o_away").text("你好") or ""
    assert away.startswith("您有1条未读消息") and "明天9点到12点停水" in away
    assert Simulator(app, "o_near").text("收到") == broadcast_texts.BROADCAST_ACK
    broadcast_id = int(reply.split("编号")[1].split("，")[0])
    report = rt.broadcasts.report(broadcast_id)
    assert (report["recipients"], report["sent"], report["held"], report["acknowledged"]) == (4, 3, 1, 1)


def test_who_may_send_what(app: Flask, rt: Runtime, chief: str) -> None:
    resident(rt, "o_r", "光明胡同")
    assert Simulator(app, "o_r").text("发通知 光明胡同：停水") == broadcast_texts.BROADCAST_STAFF_ONLY
    boss = Simulator(app, chief)
    assert boss.text("发通知 东斜街：停水") == broadcast_texts.BROADCAST_PROBLEMS["forbidden"]
    assert boss.text("取消") == account_texts.CANCELLED
    too_long = "停" * (rt.config.broadcasts.max_length + 1)
    limit = rt.config.broadcasts.max_length
    assert boss.text(f"发通知 光明胡同：{too_long}") == broadcast_texts.broadcast_too_long(limit)
    boss.text("取消")
    for n in range(rt.config.broadcasts.daily_cap_per_sender):
        rt.broadcasts.create(uid(rt, chief), Target(("光明胡同",)), f"第{n}条")
    with pytest.raises(BroadcastError) as err:
        rt.broadcasts.create(uid(rt, chief), Target(("光明胡同",)), "再一条")
    assert err.value.code == "cap"


def test_injected_failures_retry_skip_or_hold(no_waiting: Runtime, chief: str, fake_wechat: FakeWeChatServer,
                                              run_jobs: Jobs) -> None:
    rt = no_waiting
    for openid in ("o_1", "o_2", "o_3", "o_4"):
        resident(rt, openid, "东斜街")
    fake_wechat.inject("message/custom/send", errcode=-1, times=1)  # system busy once: retried
    fake_wechat.inject("message/custom/send", errcode=43004, times=1)  # not following: recorded, skipped
    fake_wechat.inject("message/custom/send", errcode=45015, times=1)  # window closed: held
    fake_wechat.inject("message/custom/send", errcode=45009, times=4)  # quota all along: failed after retries
    created = rt.broadcasts.create(None, Target(("东斜街",)), "周六上午大扫除")
    run_jobs()
    report = rt.broadcasts.report(created.id)
    assert (report["sent"], report["unreachable"], report["held"], report["failed"], report["pending"]) == \
        (1, 1, 1, 1, 0)
    assert sum(custom_sends(fake_wechat).values()) == 1


def test_template_outside_the_window_and_its_finish_event(app: Flask, rt: Runtime, fake_wechat: FakeWeChatServer,
                                                          run_jobs: Jobs) -> None:
    rt.messenger = Messenger(rt.uow, rt.wechat, template_id="tpl-notice")
    rt.wire_issues()
    resident(rt, "o_old", "东斜街", seen_hours_ago=72)
    created = rt.broadcasts.create(None, Target(("东斜街",)), "周日停电")
    run_jobs()
    [call] = fake_wechat.calls("message/template/send")
    assert rt.broadcasts.report(created.id)["by_template"] == 1
    with rt.uow() as uow:
        from sqlalchemy import select

        from bot.core.models import BroadcastDelivery

        msgid = uow.session.scalar(select(BroadcastDelivery.msgid))
    assert msgid
    chat = Simulator(app, "o_old")
    assert chat.post(message_xml("o_old", "event", Event="TEMPLATESENDJOBFINISH", MsgID=msgid,
                                 Status="failed:user block")) is None
    assert rt.broadcasts.report(created.id)["unreachable"] == 1
    assert call.body["touser"] == "o_old"


def test_a_worker_killed_mid_broadcast_resumes_without_duplicates(rt: Runtime, real_redis_url: str,
                                                                  fake_wechat: FakeWeChatServer) -> None:
    settings = dataclasses.replace(rt.settings, redis_url=real_redis_url)
    queued = Runtime.build(settings, wechat=rt.wechat)  # enqueues to real Redis: a separate worker sends
    people = [f"o_k{n:02d}" for n in range(30)]
    for openid in people:
        resident(rt, openid, "力学胡同")
    fake_wechat.inject("message/custom/send", delay=0.15, times=1000)  # each send in flight for 150 ms
    created = queued.broadcasts.create(None, Target(("力学胡同",)), "明晚议事会")
    env = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": real_redis_url,
           "WECHAT_APPID": settings.wechat_appid, "WECHAT_SECRET": settings.wechat_secret,
           "WECHAT_API_BASE": settings.wechat_api_base, "WECHAT_TOKEN": settings.wechat_token,
           "ALLEYBOT_VAR_DIR": str(settings.var_dir)}
    worker = subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(fake_wechat.calls("message/custom/send")) < 10:  # a call is recorded when it arrives
            assert time.monotonic() < deadline and worker.poll() is None, "the worker never got going"
            time.sleep(0.005)
        kill_worker_and_horses(worker.pid)  # mid-flight: WeChat has the 10th message, its sender dies
    finally:
        worker.wait(10)
    before = custom_sends(fake_wechat)  # what reached WeChat before the kill, the one in flight included
    assert 0 < len(before) < len(people) and queued.broadcasts.report(created.id)["pending"] > 0
    fake_wechat.reset()
    done = subprocess.run([sys.executable, "-m", "bot", "worker", "--burst"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = queued.broadcasts.report(created.id)
    assert report["pending"] == 0 and report["sent"] + report["uncertain"] == len(people)
    assert report["uncertain"] <= 1  # the one in flight when the worker died: not sent again
    total = before + custom_sends(fake_wechat)
    assert all(n == 1 for n in total.values())  # nobody twice, though the batch died half sent
    with queued.uow() as uow:
        uncertain = set(uow.session.scalars(select(User.openid).join(
            BroadcastDelivery, BroadcastDelivery.user_id == User.id).where(BroadcastDelivery.state == "uncertain")))
    assert set(people) - set(total) <= uncertain  # nobody missed but, at most, the one in flight
    queued.engine.dispose()


def test_cli_send_and_report(rt: Runtime, tmp_path: Path) -> None:
    resident(rt, "o_cli_1", "府右街")
    env = {**os.environ, "DATABASE_URL": rt.settings.database_url, "REDIS_URL": "",
           "WECHAT_APPID": rt.settings.wechat_appid, "WECHAT_SECRET": rt.settings.wechat_secret,
           "WECHAT_API_BASE": rt.settings.wechat_api_base, "ALLEYBOT_VAR_DIR": str(tmp_path)}

    def cli(*args: str) -> str:
        out = run_cli(["broadcast", *args], env)
        assert out.returncode == 0, out.stderr
        return out.stdout

    doc = json.loads(cli("send", "--alley", "府右街儿", "--text", "明天清理楼道杂物", "--json"))
    assert doc["recipients"] == 1
    report = json.loads(cli("report", str(doc["id"]), "--json"))
    assert {"sent", "failed", "held", "unreachable", "acknowledged"} <= set(report) and report["sent"] == 1


def test_a_reporter_who_agrees_hears_that_alleys_notices(app: Flask, rt: Runtime, run_jobs: Jobs,
                                                         fake_wechat: FakeWeChatServer) -> None:
    resident(rt, "o_passer", "东斜街")
    chat = Simulator(app, "o_passer")
    reply = chat.text("光明胡同路面有个大坑") or ""
    assert broadcast_texts.offer_follow("光明胡同") in reply
    created = rt.broadcasts.create(None, Target(("光明胡同",)), "周六修路")
    assert created.recipients == 0  # not without their say-so
    assert chat.text("关注通知") == broadcast_texts.followed_alley("光明胡同")
    again = rt.broadcasts.create(None, Target(("光明胡同",)), "周日修路")
    run_jobs()
    assert again.recipients == 1 and custom_sends(fake_wechat) == Counter({"o_passer": 1})


def test_recovery_beside_a_live_worker_sends_nothing_twice(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    """A worker starting up recovers a batch another worker still holds: what that worker sent keeps its state,
    the row in flight is uncertain, the rows it had not reached go to others, and it skips them."""
    from bot.broadcasts.service import _Progress, _Sent

    people = [f"o_live{n}" for n in range(5)]
    for openid in people:
        resident(rt, openid, "力学胡同")
    held_back = Broadcasts(rt.uow, rt.config, rt.messenger, rt.notices, rt.redis, enqueue=lambda *a, **k: None)
    created = held_back.create(None, Target(("力学胡同",)), "停电通知")
    batch = held_back._claim(created.id)  # the live worker's batch
    progress = _Progress(rt.redis, created.id)
    assert progress.attempt(batch[0], None)
    first = _Sent(batch[0].delivery_id, batch[0].stamp, "sent", 1, None, None)
    assert progress.attempt(batch[1], first)  # row 0 went out; row 1 is in flight
    assert held_back.recover(created.id) == Counter({"pending": 3, "sent": 1, "uncertain": 1})
    assert not progress.attempt(batch[2], None)  # the live worker goes on: the rest is no longer its to send
    assert held_back.deliver(created.id) == Counter({"sent": 3})
    assert sorted(custom_sends(fake_wechat)) == sorted(p.openid for p in batch[2:])
    report = held_back.report(created.id)
    assert (report["sent"], report["uncertain"], report["pending"]) == (4, 1, 0)
