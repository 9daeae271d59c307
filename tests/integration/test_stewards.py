"""小巷管家 end to end: applying, approval, check-ins with double points, verification, the ledger, redemption."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import update

from bot.core.models import RewardItem
from bot.runtime import Runtime
from bot.simulator import Simulator
from bot.stewards import texts as steward_texts
from bot.wechat.fake_api import FakeWeChatServer
from bot.wechat.signing import text_xml
from tests.cli import run_cli
from tests.people import uid
from tests.transcript import play

ROOT = Path(__file__).resolve().parents[2]
CHIEF = "o_chief_gm"
INSIDE = "/location 39.9097 116.3785"  # on 光明胡同
Jobs = Callable[[], None]


def sent_to(fake: FakeWeChatServer, openid: str) -> list[str]:
    return [c.body["text"]["content"] for c in fake.calls("message/custom/send")
            if c.body.get("touser") == openid and c.body.get("msgtype") == "text" and c.answered == 0]


@pytest.fixture()
def chief(rt: Runtime) -> str:
    rt.accounts.grant_role(CHIEF, "chief", "光明胡同")
    rt.accounts.seen(CHIEF)
    return CHIEF


@pytest.fixture()
def steward(rt: Runtime, chief: str) -> str:
    """o_resident_1, approved as the steward of 光明胡同."""
    claim = rt.stewards.apply(uid(rt, "o_resident_1"), "光明胡同", "张大姐", None)
    rt.stewards.decide(uid(rt, chief), claim.id, approve=True)
    return "o_resident_1"


def balance(rt: Runtime, openid: str) -> int:
    account = rt.ledger.account_of(openid)
    return rt.ledger.balance(account) if account else 0


def test_a_resident_applies_and_the_chief_approves_by_chat(chat: Simulator, app: Flask, rt: Runtime, chief: str,
                                                           fake_wechat: FakeWeChatServer, run_jobs: Jobs) -> None:
    rt.accounts.seen("o_resident_1")
    play(chat, [
        ("我想当小巷管家", steward_texts.JOIN_ASK_NAME),
        ("张大姐", steward_texts.JOIN_ASK_PHONE),
        ("138", steward_texts.JOIN_BAD_PHONE),
        ("13812345678", steward_texts.JOIN_ASK_ALLEY),
        ("光明胡同儿", steward_texts.join_submitted("光明胡同")),
    ])
    run_jobs()
    [request] = sent_to(fake_wechat, chief)
    claim_id = request.split("【管家申请 ")[1].split("】")[0]
    assert "张大姐（13812345678）" in request and "光明胡同" in request
    assert Simulator(app, "o_someone").text(f"同意 {claim_id}") is not None  # a resident: an ordinary answer
    claim = rt.stewards.claim(int(claim_id))
    assert claim is not None and claim.status == "pending"  # ... and nothing decided
    assert Simulator(app, chief).text(f"同意 {claim_id}") == steward_texts.claim_decided(int(claim_id), True)
    run_jobs()
    assert steward_texts.claim_approved("光明胡同") in sent_to(fake_wechat, "o_resident_1")
    assert rt.stewards.alleys(uid(rt, "o_resident_1")) == ["光明胡同"]
    assert chat.text("我想当小巷管家") == steward_texts.JOIN_ASK_NAME  # applying again for the same alley
    play(chat, [("张大姐", steward_texts.JOIN_ASK_PHONE), ("跳过", steward_texts.JOIN_ASK_ALLEY),
                ("光明胡同", steward_texts.join_already("光明胡同"))])


def test_check_in_in_one_sentence_with_location_earns_double_points(chat: Simulator, rt: Runtime,
                                                                    steward: str) -> None:
    rules = rt.config.points
    play(chat, [
        ("巡查完毕 两个小时 走访5户 清了三处小广告",
         ("胡同：光明胡同", "时长：2小时", "走访：5户", "现场解决：3处", "未定位")),
        (INSIDE, "位置：已核验"),
        ("确认", "签到成功"),
    ])
    expected = 2 * rules.base_points_per_hour * rules.steward_multiplier + 3 * rules.bonus_fix + 5 * rules.bonus_visit
    assert balance(rt, steward) == expected
    assert chat.text("我的积分") == steward_texts.points_summary(expected, 120, expected, 1, 1)


def test_only_missing_things_are_asked_and_a_second_check_in_amends(app: Flask, chat: Simulator, rt: Runtime,
                                                                    steward: str) -> None:
    rules = rt.config.points
    play(chat, [
        ("签到", steward_texts.CHECKIN_ASK_DURATION),
        ("九", steward_texts.CHECKIN_ASK_DURATION),
        ("2", ("时长：1小时", "走访：0户")),
        ("走访6户", "走访：6户"),
        (INSIDE, "已核验"),
        ("确认", "签到成功"),
    ])
    first = rules.base_points_per_hour * rules.steward_multiplier + 6 * rules.bonus_visit
    assert balance(rt, steward) == first
    play(chat, [("签到 两个小时", ("时长：2小时", "走访：6户")), (INSIDE, "已核验")])
    confirm = text_xml(steward, "确认")
    reply = chat.post(confirm)
    assert reply and "今天的巡查记录已更新" in reply
    assert chat.post(confirm) == reply  # WeChat's retry: the same answer, no second award
    second = 2 * rules.base_points_per_hour * rules.steward_multiplier + 6 * rules.bonus_visit
    assert balance(rt, steward) == second and f"+{second - first}" in reply
    [patrol] = rt.patrols.history(uid(rt, steward))
    assert patrol.points == second and patrol.minutes == 120
    assert rt.ledger.verify() == []


def test_unverified_patrol_is_paid_when_the_chief_confirms(chat: Simulator, app: Flask, rt: Runtime, steward: str,
                                                           chief: str, fake_wechat: FakeWeChatServer,
                                                           run_jobs: Jobs) -> None:
    play(chat, [("巡查完毕 1小时", "未定位"), ("确认", "位置还没核验")])
    assert balance(rt, steward) == 0
    run_jobs()
    [ask] = [t for t in sent_to(fake_wechat, chief) if "巡查待确认" in t]
    patrol_id = int(ask.split("【巡查待确认 ")[1].split("】")[0])
    assert Simulator(app, "o_other").text(f"确认巡查 {patrol_id}") is not None  # a resident: an ordinary answer
    assert balance(rt, steward) == 0  # ... and nothing confirmed
    assert Simulator(app, chief).text(f"确认巡查 {patrol_id}") == steward_texts.patrol_confirmed(patrol_id)
    assert balance(rt, steward) == rt.config.points.base_points_per_hour * rt.config.points.steward_multiplier
    assert Simulator(app, chief).text(f"确认巡查 {patrol_id}") == steward_texts.patrol_confirmed(patrol_id)
    assert balance(rt, steward) == rt.config.points.base_points_per_hour * rt.config.points.steward_multiplier


def test_a_location_sent_later_verifies_the_patrol(chat: Simulator, rt: Runtime, steward: str) -> None:
    play(chat, [("签到 1小时", "未定位"), ("确认", "位置还没核验"), ("/location 39.95 116.45", "附近")])
    assert balance(rt, steward) == 0  # far from 光明胡同: not verified
    reply = chat.command(INSIDE)
    assert reply == steward_texts.patrol_located("光明胡同", 10)
    assert balance(rt, steward) == 10


def test_daily_cap_and_minimum_duration(chat: Simulator, rt: Runtime, steward: str) -> None:
    play(chat, [("签到 10分钟", "时长：10分钟"), (INSIDE, "已核验"), ("确认", "积分不变")])
    assert balance(rt, steward) == 0
    play(chat, [("签到 8小时 清了二十处小广告", "时长：8小时"), (INSIDE, "已核验"), ("确认", "今天的巡查记录已更新")])
    assert balance(rt, steward) == rt.config.points.daily_cap


def test_residents_cannot_check_in(chat: Simulator) -> None:
    assert chat.text("签到") == steward_texts.STEWARD_ONLY


def test_a_report_the_chief_accepts_adds_the_bonus_to_that_days_patrol(
        chat: Simulator, app: Flask, rt: Runtime, steward: str, chief: str, run_jobs: Jobs) -> None:
    play(chat, [("签到 1小时", "时长"), (INSIDE, "已核验"), ("确认", "签到成功")])
    base = balance(rt, steward)
    reply = chat.text("光明胡同有人乱贴小广告") or ""
    ticket = reply.split("工单号 ")[1].split("。")[0]
    Simulator(app, chief).text(f"受理 {ticket}")
    run_jobs()
    assert balance(rt, steward) == base + rt.config.points.bonus_accepted_report
    assert rt.patrols.history(uid(rt, steward))[0].reports == 1


def test_redeem_reserve_fulfil_cancel_and_never_below_zero(chat: Simulator, rt: Runtime, steward: str) -> None:
    play(chat, [("签到 3小时 清了五处小广告", "时长：3小时"), (INSIDE, "已核验"), ("确认", "签到成功")])
    have = balance(rt, steward)
    haircut = rt.config.points.reward("理发券")
    assert haircut is not None and have >= haircut.cost
    reply = chat.text("兑换 理发券") or ""
    assert "已为您预留 理发券" in reply and balance(rt, steward) == have - haircut.cost
    assert chat.text("兑换 理发券") == steward_texts.redeem_short(have - haircut.cost, haircut.cost)
    assert "可以兑换" in (chat.text("兑换") or "")
    redemption_id = int(reply.split("兑换号 ")[1].split("）")[0])
    cancelled = rt.rewards.decide(redemption_id, give=False)
    assert cancelled.status == "cancelled" and balance(rt, steward) == have
    assert rt.ledger.verify() == []


def test_two_concurrent_redemptions_of_the_last_item_exactly_one_succeeds(rt: Runtime, chief: str) -> None:
    for openid in ("o_a", "o_b"):
        claim = rt.stewards.apply(uid(rt, openid), "光明胡同", openid, None)
        rt.stewards.decide(uid(rt, chief), claim.id, True)
        rt.patrols.checkin(uid(rt, openid), "光明胡同", 180, 0, 5, key=f"k-{openid}", lat=39.9097, lng=116.3785)
    with rt.uow() as uow:
        uow.session.execute(update(RewardItem).where(RewardItem.code == "haircut").values(stock=1))
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def go(openid: str) -> None:
        from bot.stewards.rewards import RedeemError

        barrier.wait()
        try:
            outcomes.append(rt.rewards.redeem(uid(rt, openid), "haircut", key=f"r-{openid}").status)
        except RedeemError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=go, args=(o,)) for o in ("o_a", "o_b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["out_of_stock", "reserved"]
    assert [stock for name, _, stock in rt.rewards.catalogue() if name == "理发券"] == [0]
    assert rt.ledger.verify() == []


def test_withdrawal_and_leaderboard(chat: Simulator, rt: Runtime, steward: str) -> None:
    play(chat, [("签到 1小时", "时长"), (INSIDE, "已核验"), ("确认", "签到成功")])
    board = chat.text("排行榜") or ""
    assert "1. 张大姐（光明胡同）10分" in board
    year = chat.text("金牌管家") or ""
    assert year.startswith(f"{rt.patrols.history(uid(rt, steward))[0].day[:4]} 小巷管家积分榜") and "张大姐" in year
    assert "光明胡同 1小时 走访0户 解决0处 10分" in (chat.text("巡查记录") or "")
    assert chat.text("退出管家") == steward_texts.steward_withdrawn(["光明胡同"])
    assert chat.text("签到") == steward_texts.STEWARD_ONLY
    assert balance(rt, steward) == 10  # points stay theirs


def test_cli_points_show_stewards_list_approve_report(rt: Runtime, chief: str, tmp_path: Path) -> None:
    claim = rt.stewards.apply(uid(rt, "o_cli"), "光明胡同", "李师傅", "13900000000")
    env = {**os.environ, "DATABASE_URL": rt.settings.database_url, "REDIS_URL": rt.settings.redis_url or "",
           "WECHAT_APPID": rt.settings.wechat_appid, "WECHAT_SECRET": rt.settings.wechat_secret,
           "WECHAT_API_BASE": rt.settings.wechat_api_base, "ALLEYBOT_VAR_DIR": str(tmp_path)}

    def cli(*args: str) -> str:
        out = run_cli([*args], env)
        assert out.returncode == 0, out.stderr
        return out.stdout

    listed = json.loads(cli("stewards", "list", "--status", "pending", "--json"))
    assert [c["id"] for c in listed] == [claim.id] and listed[0]["name"] == "李师傅"
    cli("stewards", "approve", str(claim.id))
    view = rt.patrols.checkin(uid(rt, "o_cli"), "光明胡同", 60, 2, 1, key="k1", lat=39.9097, lng=116.3785)
    shown = json.loads(cli("points", "show", "o_cli", "--json"))
    assert shown["balance"] == view.points > 0
    assert [e["amount"] for e in shown["entries"]] == [view.points] and shown["entries"][0]["kind"] == "award"
    month = view.day[:7]
    report = json.loads(cli("stewards", "report", "--month", month, "--format", "json"))
    assert report["rows"] == [{"steward": "李师傅", "openid": "o_cli", "alley": "光明胡同", "patrols": 1, "hours": 1.0,
                               "visits": 2, "fixes": 1, "reports": 0, "points": view.points}]
    assert Path(cli("stewards", "report", "--month", month, "--format", "csv").strip()).read_text(
        encoding="utf-8-sig").splitlines()[1].startswith("李师傅,o_cli,光明胡同,1,1.0,2,1,0,")
    assert "ledger consistent" in cli("points", "verify")


_EXAMPLE = iter(range(1, 10**9))


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["award", "redeem", "fulfil", "refund", "reverse"]),
                          st.integers(min_value=1, max_value=2), st.integers(min_value=1, max_value=60)), max_size=25))
def test_the_database_ledger_keeps_the_same_invariants(rt: Runtime, ops: list[tuple[str, int, int]]) -> None:
    """Any sequence through the real ledger service: transfers sum to zero, no user below zero, cache = entries."""
    from bot.stewards import ledger as db_ledger
    from points.ledger import LedgerError, award, fulfil, refund, reserve, reverse

    example = next(_EXAMPLE)
    reserved: list[tuple[str, int]] = []
    for n, (op, user, amount) in enumerate(ops):
        account = f"user:{example * 10 + user}"
        key = f"prop-{example}-{n}"
        try:
            with rt.uow() as uow:
                s = uow.session
                if op == "award":
                    db_ledger.post(s, award(key, account, amount), None, "2026-11-22")
                elif op == "redeem":
                    if db_ledger.post(s, reserve(key, account, amount), None, "2026-11-22"):
                        reserved.append((account, amount))
                elif op in ("fulfil", "refund") and reserved:
                    owner, cost = reserved[0]
                    db_ledger.post(s, fulfil(key, cost) if op == "fulfil" else refund(key, owner, cost), None,
                                   "2026-11-22")
                    reserved.pop(0)
                elif op == "reverse" and n:
                    earlier = db_ledger.load(s, f"prop-{example}-{amount % n}")
                    if earlier is not None and earlier.kind == "award":
                        db_ledger.post(s, reverse(key, earlier), None, "2026-11-22")
        except LedgerError:
            pass  # refused whole: the unit of work rolled it back
    assert rt.ledger.verify() == []
    for user in (1, 2):
        assert rt.ledger.balance(f"user:{example * 10 + user}") >= 0
