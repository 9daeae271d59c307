"""随手拍 end to end: reporting in any order, photos, duplicates, chiefs handling by chat, follow-up and rating.

Every test goes through signed WeChat XML and the real Flask app; jobs run on a real RQ worker against real
Redis (or inline on fakeredis), and outbound messages land in the fake WeChat API server.
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from bot.accounts import texts as account_texts
from bot.core.models import Issue, IssuePhoto
from bot.dispatch import Bot
from bot.issues import texts as issue_texts
from bot.polls import texts as poll_texts
from bot.runtime import Runtime
from bot.simulator import Simulator
from bot.wechat.fake_api import FakeWeChatServer, sample_jpeg
from bot.wechat.messenger import Messenger
from bot.wechat.signing import message_xml, text_xml
from tests.cli import Ran, run_cli
from tests.people import uid
from tests.transcript import play
from webhooks.app import create_app

ROOT = Path(__file__).resolve().parents[2]
CHIEF, STAFF = "o_chief_gm", "o_staff_xcaj"
Jobs = Callable[[], None]


@pytest.fixture()
def chief(rt: Runtime) -> str:
    """王立新, 街巷长 of 光明胡同, who wrote to the account today (inside WeChat's 48-hour window)."""
    rt.accounts.grant_role(CHIEF, "chief", "光明胡同")
    rt.accounts.seen(CHIEF)
    rt.accounts.grant_role(STAFF, "staff", "东斜街")  # 西长安街街道 staff: escalations go to them
    rt.accounts.seen(STAFF)
    return CHIEF


def sent_to(fake: FakeWeChatServer, openid: str) -> list[str]:
    """The texts of customer-service messages the fake WeChat API accepted for this user."""
    return [c.body["text"]["content"] for c in fake.calls("message/custom/send")
            if c.body.get("touser") == openid and c.body.get("msgtype") == "text" and c.answered == 0]


def images_to(fake: FakeWeChatServer, openid: str) -> int:
    return sum(1 for c in fake.calls("message/custom/send")
               if c.body.get("touser") == openid and c.body.get("msgtype") == "image" and c.answered == 0)


def issues(rt: Runtime) -> list[Issue]:
    with rt.uow() as uow:
        rows = list(uow.session.scalars(select(Issue).order_by(Issue.id)))
        uow.session.expunge_all()
        return rows


def ticket_of(reply: str | None) -> str:
    assert reply and "工单号" in reply, reply
    return reply.split("工单号 ")[1].split("。")[0]


def test_one_sentence_logs_the_issue_at_once_and_the_chief_hears(chat: Simulator, rt: Runtime, chief: str,
                                                                  fake_wechat: FakeWeChatServer,
                                                                  run_jobs: Jobs) -> None:
    reply = chat.text("光明胡同口有辆车乱停，堵着路过不去")
    for part in ("工单号", "乱停车", "简易类", "光明胡同", "王立新", "承诺1天内处理"):
        assert reply and part in reply, (part, reply)
    run_jobs()
    ticket = ticket_of(reply)
    [note] = sent_to(fake_wechat, chief)
    assert ticket in note and "乱停车" in note and "堵着路过不去" in note and f"受理 {ticket}" in note
    [issue] = issues(rt)
    assert (issue.alley, issue.category, issue.status, issue.triage) == ("光明胡同", "illegal_parking", "received",
                                                                          "简易")


def test_photo_first_then_words_then_alley(chat: Simulator, rt: Runtime, chief: str, fake_wechat: FakeWeChatServer,
                                            run_jobs: Jobs) -> None:
    play(chat, [
        ("/image media-junk-1", "请说说是什么问题、在哪条胡同"),
        ("/image media-junk-2", "共2张"),
        ("门口堆了好多破家具", issue_texts.REPORT_ASK_ALLEY),
        ("光明胡同儿", ("工单号", "堆物堆料", "基础类", "承诺3天内处理")),
    ])
    run_jobs()
    [issue] = issues(rt)
    assert issue.text == "门口堆了好多破家具；光明胡同儿"
    with rt.uow() as uow:
        photos = list(uow.session.scalars(select(IssuePhoto).where(IssuePhoto.issue_id == issue.id)))
        refs = [(p.status, p.path, p.thumb_path, p.width, p.height) for p in photos]
    assert len(refs) == 2 and all(r[0] == "stored" for r in refs)
    for _, path, thumb, width, height in refs:
        stored = Image.open(io.BytesIO(rt.issue_photos._store.get(path or "")))
        assert max(stored.size) == 2048 == max(width or 0, height or 0)
        assert not stored.getexif(), "EXIF (GPS, phone model) must be stripped"
        assert max(Image.open(io.BytesIO(rt.issue_photos._store.get(thumb or ""))).size) <= 320
    assert images_to(fake_wechat, chief) == 1  # the first photo's thumbnail follows the text notification
    assert len(sent_to(fake_wechat, chief)) == 1


def test_location_offers_the_nearest_alleys_then_the_list_of_categories(chat: Simulator, rt: Runtime) -> None:
    categories = [c.name for c in rt.config.categories]
    play(chat, [
        ("/menu REPORT", issue_texts.REPORT_START),
        # Between 力学胡同 (56 m) and 光明胡同 (89 m): too close to call, so both are offered.
        ("/location 39.9105 116.3785", ("1. 力学胡同", "2. 光明胡同", "是哪条胡同")),
        ("7", ("请回复列表里的序号",)),
        ("2", ("是哪一类问题", "1. 私搭乱建", f"{len(categories)}. 其他")),
        ("99", "是哪一类问题"),
        (str(categories.index("道路破损") + 1), ("工单号", "道路破损", "光明胡同")),
    ])
    [issue] = issues(rt)
    assert issue.lat == pytest.approx(39.9105) and issue.lng == pytest.approx(116.3785)


def test_voice_reports_with_its_recognised_text(chat: Simulator, rt: Runtime) -> None:
    reply = chat.voice("东斜街有人在胡同里摆摊卖菜")
    assert reply and "工单号" in reply and "乱占道" in reply and "东斜街" in reply


def test_photos_and_location_after_logging_attach_and_withdraw_works_for_ten_minutes(
        chat: Simulator, rt: Runtime, chief: str, fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    ticket = ticket_of(chat.text("光明胡同的路灯坏了好几天了"))
    play(chat, [
        ("/image media-lamp-1", (ticket, "共1张")),
        ("/image media-lamp-2", (ticket, "共2张")),
        ("/location 39.9097 116.3790", ("位置已补充", ticket)),
        ("撤回", f"工单 {ticket} 已撤回"),
        ("撤回", issue_texts.withdraw_none(rt.config.issues.attach_minutes)),
    ])
    run_jobs()
    [issue] = issues(rt)
    assert issue.status == "withdrawn" and issue.lat == pytest.approx(39.9097)
    assert any("撤回" in t for t in sent_to(fake_wechat, chief))
    with rt.uow() as uow:
        issue.created_at = datetime.now(UTC) - timedelta(minutes=11)
        uow.session.merge(issue)
    assert chat.image("media-late") == issue_texts.report_photo_first(1)  # too late: a new report starts


def test_nine_photos_at_most(chat: Simulator, rt: Runtime) -> None:
    ticket = ticket_of(chat.text("光明胡同有人乱贴小广告"))
    for n in range(1, 10):
        assert ticket in (chat.image(f"media-ad-{n}") or "")
    assert chat.image("media-ad-10") == issue_texts.report_photo_full(rt.config.issues.max_photos)


def test_withdraw_refused_once_the_chief_has_accepted(chat: Simulator, rt: Runtime, chief: str, app: Flask) -> None:
    ticket = ticket_of(chat.text("光明胡同有人乱停车"))
    chief_chat = Simulator(app, chief)
    assert f"工单 {ticket} 已受理" in (chief_chat.text(f"受理 {ticket}") or "")
    assert chat.text("撤回") == issue_texts.WITHDRAW_STARTED


def test_the_same_problem_twice_makes_a_follower_not_a_second_ticket(
        chat: Simulator, app: Flask, rt: Runtime, chief: str, fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    ticket = ticket_of(chat.text("光明胡同西口有僵尸车，好久没人动了"))
    neighbour = Simulator(app, "o_neighbour")
    reply = neighbour.text("光明胡同又有车乱停了")
    assert reply and "已有2位居民反映" in reply and ticket in reply
    assert chat.text("光明胡同那辆车还在乱停") == issue_texts.report_again(rt.issues.show(ticket))
    # A follower saying it again follows it still, once.
    assert neighbour.text("光明胡同又有车乱停了") == issue_texts.report_again(rt.issues.show(ticket))
    assert len(issues(rt)) == 1 and rt.issues.show(ticket).followers == 1
    run_jobs()
    assert len(sent_to(fake_wechat, chief)) == 1  # the chief hears of the ticket once
    Simulator(app, chief).text(f"受理 {ticket}")
    run_jobs()
    for openid in ("o_resident_1", "o_neighbour"):
        assert any(ticket in t and "已受理" in t for t in sent_to(fake_wechat, openid)), openid
    mine = neighbour.text("我的反映") or ""
    assert ticket in mine and "（关注）" in mine


def test_a_near_identical_photo_merges_the_new_ticket_into_the_open_one(
        chat: Simulator, app: Flask, rt: Runtime, chief: str, fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    scene = sample_jpeg(seed="same-scene")
    recompressed = io.BytesIO()
    Image.open(io.BytesIO(scene)).resize((1500, 1000)).save(recompressed, "JPEG", quality=40)
    fake_wechat.add_media("media-scene-a", scene)
    fake_wechat.add_media("media-scene-b", recompressed.getvalue())
    chat.image("media-scene-a")
    first = ticket_of(chat.text("光明胡同垃圾没人清"))
    other = Simulator(app, "o_other")
    other.image("media-scene-b")
    second = ticket_of(other.text("光明胡同堆了一堆建筑垃圾和砖头"))  # another category: only the photo tells
    assert first != second
    run_jobs()
    merged = rt.issues.show(second)
    assert merged.status == "duplicate" and merged.duplicate_of == first
    assert rt.issues.show(first).followers == 1
    assert any(first in t and "合并" in t for t in sent_to(fake_wechat, "o_other"))


def test_chief_handles_by_chat_and_the_reporter_rates(chat: Simulator, app: Flask, rt: Runtime, chief: str,
                                                      fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    ticket = ticket_of(chat.text("光明胡同有个井盖松了，一踩就响"))
    boss = Simulator(app, chief)
    play(boss, [
        ("待办", (ticket, "待受理")),
        ("受理", f"工单 {ticket} 已受理"),  # the only open ticket: no need to type it
        (f"转派 {ticket}", ("转给哪个部门", "1. 城管")),
        ("9", "转给哪个部门"),
        ("3", ("已转派", "交通")),
        (f"办结 {ticket}", issue_texts.HANDLE_NOTE),
        ("井盖已经换了新的", issue_texts.HANDLE_AFTER_PHOTO),
        ("好的", issue_texts.HANDLE_AFTER_PHOTO),
        ("/image media-after-1", f"工单 {ticket} 已办结"),
        (f"办结 {ticket} 再来一次", ("已办结", "不能办结")),
    ])
    run_jobs()
    told = sent_to(fake_wechat, "o_resident_1")
    assert [t for t in told if "已受理" in t] and [t for t in told if "交通" in t]
    assert any("已办结" in t and "井盖已经换了新的" in t and "回复 3 满意" in t for t in told)
    with rt.uow() as uow:
        kinds = {p.kind: p.status for p in uow.session.scalars(select(IssuePhoto))}
    assert kinds == {"after": "stored"}
    assert chat.text("不满意") == issue_texts.RATING_REOPENED
    run_jobs()
    issue = rt.issues.show(ticket)
    assert (issue.status, issue.rating, issue.escalated) == ("in_progress", 1, True)
    assert any("督办" in t and ticket in t for t in sent_to(fake_wechat, STAFF))
    assert chat.text("不满意") == account_texts.FALLBACK  # nothing left to rate: not read as a second rating


def test_a_satisfied_rating_closes_the_loop(chat: Simulator, app: Flask, rt: Runtime, chief: str) -> None:
    ticket = ticket_of(chat.text("光明胡同有人私搭了个棚子"))
    play(Simulator(app, chief), [
        (f"驳回 {ticket}", issue_texts.HANDLE_REASON),
        ("经核实是临时施工围挡，已办理手续", f"工单 {ticket} 已驳回"),
    ])
    assert rt.issues.show(ticket).note == "经核实是临时施工围挡，已办理手续"
    ticket2 = ticket_of(chat.text("光明胡同路面有个大坑"))
    play(Simulator(app, chief), [(f"办结 {ticket2} 已补平", issue_texts.HANDLE_AFTER_PHOTO), ("跳过", "已办结")])
    assert chat.text("3") == issue_texts.RATING_THANKS
    assert rt.issues.show(ticket2).rating == 3


def test_residents_and_other_chiefs_cannot_handle(chat: Simulator, app: Flask, rt: Runtime, chief: str) -> None:
    ticket = ticket_of(chat.text("光明胡同电线耷拉下来了"))
    rt.accounts.grant_role("o_chief_dxj", "chief", "东斜街")
    assert Simulator(app, "o_chief_dxj").text(f"受理 {ticket}") == issue_texts.HANDLE_NOT_ALLOWED
    # A resident's 受理 is no command of theirs: it is read as asking after their reports.
    assert chat.text(f"受理 {ticket}") == issue_texts.my_issues(rt.issues.mine(uid(rt, chat.openid)), chat.openid)
    assert rt.issues.show(ticket).status == "received"
    unknown = Simulator(app, chief).text("受理 2001019999") or ""
    assert unknown.startswith(issue_texts.handle_unknown_ticket("2001019999")) and f"1. {ticket}" in unknown


def test_every_message_retried_gives_one_ticket_and_one_notification(
        chat: Simulator, rt: Runtime, chief: str, fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    steps = [message_xml("o_resident_1", "image", PicUrl="http://x/p", MediaId="media-retry-1"),
             text_xml("o_resident_1", "光明胡同有人在墙上打了个洞开小卖部"),
             message_xml("o_resident_1", "image", PicUrl="http://x/p", MediaId="media-retry-2")]
    for xml in steps:
        first = chat.post(xml)
        assert chat.post(xml) == first  # WeChat's retry gets the same reply
        assert chat.post(xml) == first
    run_jobs()
    [issue] = issues(rt)
    assert issue.category == "wall_opening"
    assert len(sent_to(fake_wechat, chief)) == 1 and images_to(fake_wechat, chief) == 1
    with rt.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(IssuePhoto)) == 2


def test_two_photos_arriving_at_once_belong_to_one_report(chat: Simulator, rt: Runtime) -> None:
    replies: list[str | None] = []
    threads = [threading.Thread(target=lambda n=n: replies.append(chat.image(f"media-burst-{n}"))) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r or "" for r in replies) == [issue_texts.report_photo_first(1), issue_texts.report_photo_first(2)]
    reply = chat.text("光明胡同有人占道摆摊")
    assert reply and "工单号" in reply
    assert len(issues(rt)[0].photos) == 2


def test_a_failed_download_is_recorded_and_the_issue_kept(chat: Simulator, rt: Runtime, chief: str,
                                                          fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    fake_wechat.inject("media/get", errcode=40007)
    chat.image("media-expired")
    ticket = ticket_of(chat.text("光明胡同墙皮掉了一大块"))
    run_jobs()
    issue = rt.issues.show(ticket)
    [photo] = issue.photos
    assert photo.status == "failed" and photo.error and "40007" in photo.error
    assert issue.status == "received" and len(sent_to(fake_wechat, chief)) == 1


def test_a_chief_outside_the_window_sees_the_ticket_at_their_next_message(
        chat: Simulator, app: Flask, rt: Runtime, chief: str, fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    rt.accounts.seen(chief, now=datetime.now(UTC) - timedelta(hours=49))
    ticket = ticket_of(chat.text("光明胡同有人乱倒垃圾"))
    run_jobs()
    assert sent_to(fake_wechat, chief) == [] and images_to(fake_wechat, chief) == 0
    reply = Simulator(app, chief).text("你好") or ""
    assert reply.startswith("您有1条未读消息") and ticket in reply and account_texts.GREET in reply
    assert Simulator(app, chief).text("你好") == account_texts.GREET  # shown once


def test_a_chief_outside_the_window_gets_a_template_when_one_is_configured(
        rt: Runtime, chief: str, fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    rt.messenger = Messenger(rt.uow, rt.wechat, template_id="tpl-notice")
    rt.wire_issues()
    rt.accounts.seen(chief, now=datetime.now(UTC) - timedelta(hours=49))
    app = create_app(bot=Bot(rt))
    ticket_of(Simulator(app, "o_resident_1").text("光明胡同有人乱倒垃圾"))
    run_jobs()
    templates = [c for c in fake_wechat.calls("message/template/send") if c.body.get("touser") == chief]
    assert len(templates) == 1 and "乱倒垃圾" in templates[0].body["data"]["content"]["value"]


def test_a_reporter_who_unsubscribed_is_not_written_to(chat: Simulator, app: Flask, rt: Runtime, chief: str,
                                                        fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    ticket = ticket_of(chat.text("光明胡同有人乱停三轮车"))
    chat.post(message_xml("o_resident_1", "event", Event="unsubscribe"))
    play(Simulator(app, chief), [(f"办结 {ticket} 已挪走", issue_texts.HANDLE_AFTER_PHOTO), ("跳过", "已办结")])
    run_jobs()
    assert sent_to(fake_wechat, "o_resident_1") == []
    issue = rt.issues.show(ticket)
    assert issue.status == "resolved" and issue.reporter.startswith("anon-")


def test_report_limit_per_hour_and_blocked_users(chat: Simulator, app: Flask, rt: Runtime, chief: str,
                                                 fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    wanted = ["有辆车乱停堵门", "乱贴小广告", "路面有坑", "垃圾没人清", "电线耷拉", "有人摆摊"]
    per_hour = rt.config.issues.reports_per_hour
    replies = [chat.text(f"光明胡同{w}") for w in wanted[:per_hour + 1]]
    assert all("工单号" in (r or "") for r in replies[:per_hour])
    assert "一小时内已经反映了" in (replies[per_hour] or "") and "010-" in (replies[per_hour] or "")
    rt.accounts.block("o_blocked")
    blocked = Simulator(app, "o_blocked")
    assert blocked.text("东斜街有人乱停车") == issue_texts.REPORT_BLOCKED
    assert blocked.image("media-blocked") == issue_texts.REPORT_BLOCKED
    run_jobs()
    assert len(issues(rt)) == per_hour
    assert len(sent_to(fake_wechat, chief)) == per_hour


def test_long_text_is_kept_whole(chat: Simulator, rt: Runtime) -> None:
    long = "光明胡同有人乱停车，" + "车停在消防通道上堵得死死的，" * 200
    assert len(long) > 2000
    reply = chat.text(long)
    if reply and "回复 1 是" in reply:  # so long a message dilutes the NLU's confidence: it may be read back
        reply = chat.text("1")
    ticket_of(reply)
    assert issues(rt)[0].text == long


def test_cancel_leaves_any_step_and_nothing_is_logged(chat: Simulator, rt: Runtime) -> None:
    play(chat, [("/image media-cancel", "请说说"), ("路面有坑", issue_texts.REPORT_ASK_ALLEY),
                ("取消", account_texts.CANCELLED)])
    assert issues(rt) == []


def test_overdue_issues_are_reminded_once_a_day_and_escalated(rt: Runtime, chief: str,
                                                              fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    past = datetime.now(UTC) - timedelta(days=2)
    logged = rt.issues.report(uid(rt, "o_resident_1"), "src-overdue", "光明胡同", "illegal_parking", "车堵门口",
                              now=past)
    assert logged.issue is not None and logged.issue.overdue
    assert [i.ticket for i in rt.issues.overdue()] == [logged.issue.ticket]
    assert rt.issues.remind_overdue() == 1
    assert rt.issues.remind_overdue() == 0  # once a day
    run_jobs()
    assert any("超过承诺时间" in t for t in sent_to(fake_wechat, chief))
    assert any("督办" in t for t in sent_to(fake_wechat, STAFF))
    assert rt.issues.show(logged.issue.ticket).escalated


def test_cli_list_show_set_status_export_overdue(rt: Runtime, chief: str, fake_wechat: FakeWeChatServer,
                                                 tmp_path: Path) -> None:
    old = rt.issues.report(uid(rt, "o_resident_1"), "src-cli-1", "光明胡同", "road_damage", "路面有个坑",
                           now=datetime.now(UTC) - timedelta(days=5))
    new = rt.issues.report(uid(rt, "o_resident_2"), "src-cli-2", "东斜街", "sanitation", "垃圾桶满了")
    assert old.issue and new.issue
    env = {**os.environ, "DATABASE_URL": rt.settings.database_url, "REDIS_URL": rt.settings.redis_url or "",
           "WECHAT_APPID": rt.settings.wechat_appid, "WECHAT_SECRET": rt.settings.wechat_secret,
           "WECHAT_API_BASE": rt.settings.wechat_api_base, "ALLEYBOT_VAR_DIR": str(tmp_path)}

    def cli(*args: str) -> Ran:
        out = run_cli(["issues", *args], env)
        assert out.returncode == 0, out.stderr
        return out

    listed = json.loads(cli("list", "--json").stdout)
    assert [d["ticket"] for d in listed] == [old.issue.ticket, new.issue.ticket]
    first = listed[0]
    assert {"ticket", "alley", "category", "status", "reporter", "photos"} <= set(first)
    assert (first["alley"], first["category"], first["status"], first["reporter"]) == (
        "光明胡同", "road_damage", "received", "o_resident_1")
    only = json.loads(cli("list", "--status", "received", "--alley", "光明胡同儿", "--json").stdout)
    assert [d["ticket"] for d in only] == [old.issue.ticket]
    overdue = json.loads(cli("overdue", "--json").stdout)
    assert [d["ticket"] for d in overdue] == [old.issue.ticket] and overdue[0]["overdue"] is True
    changed = json.loads(cli("set-status", old.issue.ticket, "resolved", "--note", "已补平", "--json").stdout)
    assert changed["status"] == "resolved" and changed["note"] == "已补平"
    shown = json.loads(cli("show", old.issue.ticket, "--json").stdout)
    assert [h["kind"] for h in shown["history"]] == ["received", "resolved"]
    assert json.loads(cli("overdue", "--json").stdout) == []
    csv_path = Path(cli("export", "--format", "csv").stdout.strip())
    rows = list(csv.reader(csv_path.open(encoding="utf-8-sig")))
    assert rows[0][0] == "工单号" and [r[0] for r in rows[1:]] == [old.issue.ticket, new.issue.ticket]
    assert rows[1][5] == "已办结" and rows[2][7] == "垃圾桶满了"
    xlsx_path = Path(cli("export", "--format", "xlsx", "--status", "received").stdout.strip())
    sheet = load_workbook(xlsx_path).active
    assert sheet is not None and [c.value for c in sheet["A"]] == ["工单号", new.issue.ticket]
    missing = run_cli(["issues", "show", "9999999999"], env)
    assert missing.returncode != 0 and "9999999999" in missing.stderr


def test_workers_plan_one_daily_reminder_chain(rt: Runtime) -> None:
    from bot.core.clock import BEIJING
    from bot.issues.jobs import schedule_reminders

    # Relative to the real clock: RQ decides "future" by the wall clock, so a fixed date goes stale.
    now = datetime.now(UTC)
    local = now.astimezone(BEIJING)
    expected = local.replace(hour=9, minute=0, second=0, microsecond=0)
    if expected <= local:
        expected += timedelta(days=1)
    planned = schedule_reminders(rt, now=now)
    if rt.jobs.inline:  # no scheduler in the embedded default: cron runs `alleybot issues overdue --remind`
        assert planned is None
        return
    assert planned is not None and planned.astimezone(BEIJING) == expected
    assert schedule_reminders(rt, now=now) is None  # a second worker starting does not start a second chain
    from rq import Queue

    from bot.core.jobs import QUEUE_NAME

    queue = Queue(QUEUE_NAME, connection=rt.redis)
    registry = queue.scheduled_job_registry
    assert len(registry) == 1 and len(queue) == 0  # waiting for its time, not queued to run now
    (job_id,) = registry.get_job_ids()
    assert registry.get_scheduled_time(job_id) == expected.astimezone(UTC).replace(microsecond=0)


def test_an_open_poll_is_offered_when_the_reporters_issue_is_resolved(
        chat: Simulator, app: Flask, rt: Runtime, chief: str, fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    rt.accounts.bind_alley("o_resident_1", "光明胡同")
    ticket = ticket_of(chat.text("光明胡同有人乱堆建筑垃圾"))
    # Two days pass: the poll's push cannot reach them (48-hour rule), and neither can the 办结 message.
    rt.accounts.seen("o_resident_1", now=datetime.now(UTC) - timedelta(hours=49))
    rt.polls.create(["您对胡同环境满意吗"], alleys=["光明胡同"])
    play(Simulator(app, chief), [(f"办结 {ticket} 已清运", issue_texts.HANDLE_AFTER_PHOTO), ("跳过", "已办结")])
    run_jobs()
    assert sent_to(fake_wechat, "o_resident_1") == []
    reply = chat.text("你好") or ""  # held, and shown at their next message with the rating and the poll
    assert reply.startswith("您有1条未读消息") and "已办结" in reply
    assert issue_texts.ask_rating(ticket) in reply and reply.count(poll_texts.poll_invitation(1)) == 1
    assert chat.text("3") == issue_texts.RATING_THANKS
    assert chat.text("你好") == account_texts.GREET  # invited once: not again
