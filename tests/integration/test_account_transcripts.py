"""Following, binding an alley, help, small talk and the fallback, as a resident experiences them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.accounts import inbox
from bot.accounts import texts as account_texts
from bot.core.clock import aware
from bot.core.models import User
from bot.issues import texts as issue_texts
from bot.parking import texts as parking_texts
from bot.polls import texts as poll_texts
from bot.runtime import Runtime
from bot.simulator import Simulator
from bot.stewards import texts as steward_texts
from bot.wechat.signing import event_xml
from tests.people import uid
from tests.transcript import play


def test_follow_through_an_alley_qr_code_binds_the_alley(chat: Simulator, rt: Runtime) -> None:
    play(chat, [("/scan 光明胡同", ("欢迎关注", "已为您绑定光明胡同", "王立新"))])
    account = rt.accounts.get(chat.openid)
    assert account and account.home_alley == "光明胡同" and account.subscribed


def test_plain_follow_welcomes_with_the_menu(chat: Simulator) -> None:
    assert chat.subscribe() == account_texts.WELCOME


def test_stale_qr_scene_still_welcomes(chat: Simulator, rt: Runtime) -> None:
    play(chat, [("/scan 不存在的胡同", account_texts.WELCOME)])
    account = rt.accounts.get(chat.openid)
    assert account is not None and account.home_alley is None


def test_scan_while_following_binds(chat: Simulator, rt: Runtime) -> None:
    chat.subscribe()
    reply = chat.post(event_xml(chat.openid, "SCAN", "体育馆西路"))
    assert reply == account_texts.alley_bound("体育馆西路", "蒋志刚")


def test_bind_flow_by_name_with_typo_and_erhua(chat: Simulator, rt: Runtime) -> None:
    play(chat, [
        ("/menu BIND_ALLEY", account_texts.ASK_ALLEY),
        ("光明胡桶儿", "已为您绑定光明胡同"),
        ("你好", account_texts.GREET),  # the flow is over: ordinary routing again
    ])
    assert rt.accounts.get(chat.openid).home_alley == "光明胡同"  # type: ignore[union-attr]


def test_bind_in_one_sentence(chat: Simulator, rt: Runtime) -> None:
    play(chat, [("我住在西四块玉胡同儿", "已为您绑定西四块玉胡同")])


def test_bind_flow_asks_again_with_numbered_candidates_then_takes_a_number(chat: Simulator, rt: Runtime) -> None:
    replies = play(chat, [
        ("绑定胡同", account_texts.ASK_ALLEY),
        ("四块玉那边", ("没找到", "1.")),
    ])
    offered = [line.split(". ", 1)[1] for line in (replies[1] or "").splitlines() if line[:1].isdigit()]
    assert offered, replies[1]
    play(chat, [("1", f"已为您绑定{offered[0]}")])


def test_bind_flow_by_location_offers_the_nearest_alleys(chat: Simulator, rt: Runtime) -> None:
    play(chat, [
        ("/menu BIND_ALLEY", account_texts.ASK_ALLEY),
        ("/location 39.8774 116.4371", ("附近的胡同", "1. 福光路")),
        ("9", "1."),  # out of range: asked again, never a dead end
        ("1", "已为您绑定福光路"),
    ])


def test_nonsense_in_the_bind_flow_is_asked_again(chat: Simulator) -> None:
    ask = account_texts.ASK_ALLEY
    play(chat, [("绑定胡同", ask), ("😀😀", ask), ("。", ask)])


def test_cancel_and_help_work_inside_a_flow(chat: Simulator, rt: Runtime) -> None:
    play(chat, [
        ("绑定胡同", account_texts.ASK_ALLEY),
        ("帮助", account_texts.MENU),
        ("东斜街", "已为您绑定东斜街"),  # help did not end the flow
        ("绑定胡同", account_texts.ASK_ALLEY),
        ("四块玉那边", "1."),
        ("取消", account_texts.CANCELLED),
        ("1", account_texts.FALLBACK),  # cancelled: a number from the old list is no longer an answer
        ("取消", account_texts.NOTHING_TO_CANCEL),
    ])
    assert rt.accounts.get(chat.openid).home_alley == "东斜街"  # type: ignore[union-attr]


def test_an_expired_flow_says_so(chat: Simulator, rt: Runtime) -> None:
    play(chat, [("绑定胡同", account_texts.ASK_ALLEY)])
    rt.redis.delete(f"alleybot:dlg:{chat.openid}")  # what the TTL does after half an hour
    play(chat, [("你好", (account_texts.EXPIRED, account_texts.GREET)), ("你好", account_texts.GREET)])
    assert account_texts.EXPIRED not in (chat.text("你好") or "")


def test_small_talk_and_fallback(chat: Simulator) -> None:
    play(chat, [
        ("您好", account_texts.GREET),
        ("谢谢您嘞", account_texts.THANKS),
        ("菜单", account_texts.MENU),
        ("/menu HELP", account_texts.MENU),
        ("今天天气怎么样啊", account_texts.FALLBACK),
    ])


def test_a_complaint_that_is_not_the_alleys_business_is_pointed_elsewhere(chat: Simulator) -> None:
    """A parcel, a bill or the flat's plumbing opens no ticket: the bot says who handles it. The same
    sentence with an alley problem in it is a report."""
    play(chat, [
        ("快递员把我的件扔楼下就走了", account_texts.NOT_OURS),
        ("这个月燃气费怎么多了一百", account_texts.NOT_OURS),
        ("送快递的三轮车天天横在光明胡同口堵着道", "光明胡同"),
    ])


def test_voice_uses_wechat_recognition_and_empty_recognition_asks_again(chat: Simulator) -> None:
    play(chat, [("/voice 你好", account_texts.GREET), ("/voice", account_texts.VOICE_UNHEARD)])


def test_photo_outside_a_flow_starts_a_report(chat: Simulator, tmp_path: object) -> None:
    from pathlib import Path

    photo = Path(str(tmp_path)) / "p.jpg"
    photo.write_bytes(b"\xff\xd8\xff")
    play(chat, [(f"/photo {photo}", issue_texts.report_photo_first(1))])


def test_location_outside_a_flow_names_the_nearest_alley(chat: Simulator) -> None:
    play(chat, [("/location 39.9097 116.3790", "光明胡同附近")])


def test_every_message_opens_the_48_hour_window(chat: Simulator, rt: Runtime) -> None:
    before = time.time()
    chat.text("你好")
    seen = rt.accounts.get(chat.openid).last_message_at  # type: ignore[union-attr]
    assert seen is not None and seen.timestamp() >= before - 1


def _last_seen(rt: Runtime, openid: str, at: datetime | None = None) -> datetime:
    with rt.uow() as uow:
        if at is not None:
            uow.session.execute(update(User).where(User.openid == openid).values(last_message_at=at))
        return aware(uow.session.scalar(select(User.last_message_at).where(User.openid == openid)))


def test_the_window_is_written_to_within_a_minute_not_on_every_message(chat: Simulator, rt: Runtime) -> None:
    chat.text("你好")
    # The user wrote yesterday: a message now opens the window afresh.
    _last_seen(rt, chat.openid, datetime.now(UTC) - timedelta(days=1))
    chat.text("谢谢")
    assert datetime.now(UTC) - _last_seen(rt, chat.openid) < timedelta(seconds=5)
    # In a conversation the row is not rewritten for every message: the window may close up to a minute
    # early, never late.
    recent = _last_seen(rt, chat.openid, datetime.now(UTC) - timedelta(seconds=30))
    chat.text("帮助")
    assert _last_seen(rt, chat.openid) == recent
    assert datetime.now(UTC) - recent < inbox.LAST_SEEN_PRECISION


def test_every_menu_key_has_its_own_answer(chat: Simulator, rt: Runtime) -> None:
    summary = rt.patrols.summary(uid(rt, chat.openid))
    expected = {
        "REPORT": issue_texts.REPORT_START,
        "MY_ISSUES": issue_texts.MY_ISSUES_NONE,
        "BIND_ALLEY": account_texts.ASK_ALLEY,
        "PARKING": parking_texts.parking_menu([t.title for t in rt.parking.menu()]),
        "POLL": poll_texts.POLL_NONE,
        "HELP": account_texts.MENU,
        "JOIN_STEWARD": steward_texts.JOIN_ASK_NAME,
        "CHECKIN": steward_texts.STEWARD_ONLY,
        "POINTS": steward_texts.points_summary(summary.balance, summary.month_minutes, summary.month_points,
                                               summary.rank, summary.ranked),
    }
    assert set(rt.config.menu_keys()) == set(expected)  # a new menu key needs its answer here
    for key in sorted(expected):
        assert chat.menu(key) == expected[key], key
        chat.text("取消")


def test_role_grant_from_the_simulator(chat: Simulator, rt: Runtime) -> None:
    assert "chief" in (chat.command("/role chief 光明胡同") or "")
    account = rt.accounts.get(chat.openid)
    assert account and account.role == "chief" and account.duty_alley == "光明胡同"
    assert "unknown role" in (chat.command("/role mayor") or "")
