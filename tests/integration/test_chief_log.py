"""街巷长日志 by chat: 巡街 in one sentence or step by step, verification by location, found problems opened as
tickets by number, 我的日志; wrong turns asked again."""

from __future__ import annotations

from flask import Flask

from bot.chiefs import texts
from bot.chiefs.patrol_words import Found, read_patrol
from bot.runtime import Runtime
from bot.simulator import Simulator
from tests.people import uid
from tests.transcript import play

CHIEF = "o_chief_patrol"
INSIDE = "/location 39.9097 116.3783"  # on 光明胡同's line
FAR = "/location 39.9500 116.4500"


def _chief(rt: Runtime) -> None:
    rt.accounts.grant_role(CHIEF, "chief", "光明胡同")


def test_one_sentence_then_a_location_then_tickets_by_number(app: Flask, rt: Runtime) -> None:
    _chief(rt)
    chat = Simulator(app, CHIEF)
    play(chat, [
        ("巡街 巡了40分钟，门口堆物一处已清，地锁两个，电线乱拉", texts.ASK_LOCATION),
        (INSIDE, ("已记入街巷长日志：光明胡同，40分钟（位置已核实）", "堆物堆料1处（已当场处理）", "地桩地锁2处",
                  texts.OFFER_AGAIN)),
        ("1", texts.NOTHING_TO_OPEN),  # fixed on the spot: no ticket
        ("2 3", "已立为工单："),
    ])
    tickets = rt.issues.find(alley="光明胡同")
    assert sorted(t.category for t in tickets) == ["ground_lock", "overhead_wires"]
    assert all(t.text.startswith("街巷长巡街发现：") and t.reporter == CHIEF for t in tickets)
    entry = rt.chief_log.mine(uid(rt, CHIEF))[0]
    assert (entry.minutes, entry.verified, len(entry.found)) == (40, True, 3)
    assert "40分钟（已核实），发现4处问题" in (chat.text("我的日志") or "")


def test_step_by_step_with_wrong_turns(app: Flask, rt: Runtime) -> None:
    _chief(rt)
    chat = Simulator(app, CHIEF)
    play(chat, [
        ("巡街", texts.ASK_WORDS),
        ("门口又堆了些杂物", texts.ASK_MINUTES),  # no duration yet: asked, the problem kept
        ("一个半小时", texts.ASK_LOCATION),
        ("好的", texts.ASK_LOCATION),  # neither a location nor 跳过
        (FAR, ("（未核实位置）", "堆物堆料1处")),  # outside the alley: logged, not verified
        ("不用", texts.DONE),
    ])
    entry = rt.chief_log.mine(uid(rt, CHIEF))[0]
    assert (entry.minutes, entry.verified, [f.category for f in entry.found]) == (90, False, ["piled_materials"])
    assert rt.issues.find(alley="光明胡同") == []


def test_nothing_found_and_who_may_log(app: Flask, rt: Runtime) -> None:
    _chief(rt)
    play(Simulator(app, CHIEF), [("巡街 走了一小时 没发现问题", texts.ASK_LOCATION),
                                 ("跳过", ("60分钟（未核实位置）", "这次没有发现问题"))])
    assert Simulator(app, "o_resident_x").text("巡街 巡了20分钟") == texts.CHIEF_ONLY
    assert Simulator(app, "o_resident_x").text("我的日志") == texts.CHIEF_ONLY


def test_a_retry_logs_once_and_a_menu_click_leaves_the_flow(app: Flask, rt: Runtime) -> None:
    from bot.accounts import texts as account_texts
    from bot.wechat.signing import text_xml

    _chief(rt)
    chat = Simulator(app, CHIEF)
    assert chat.text("巡街 半小时 小广告两张") == texts.ASK_LOCATION
    skip = text_xml(CHIEF, "跳过")
    first = chat.post(skip)
    assert first is not None and first.startswith("已记入街巷长日志")
    assert chat.post(skip) == first  # WeChat's retry of the same delivery: the same reply, nothing logged again
    assert len(rt.chief_log.mine(uid(rt, CHIEF))) == 1
    assert chat.text("不用") == texts.DONE
    assert chat.text("巡街 二十分钟") == texts.ASK_LOCATION
    reply = chat.menu("REPORT") or ""
    assert reply.startswith(account_texts.LEFT_FLOW)  # a menu click leaves the question, saying so
    assert len(rt.chief_log.mine(uid(rt, CHIEF))) == 1  # the second patrol was left, not logged


def test_reading_patrol_words() -> None:
    def category(clause: str) -> str | None:
        for word, code in (("堆物", "piled_materials"), ("地锁", "ground_lock"), ("小广告", "illegal_ads")):
            if word in clause:
                return code
        return None

    read = read_patrol("巡了40分钟，门口堆物一处已清，地锁两个", category)
    assert read.minutes == 40 and read.found == (Found("piled_materials", 1, True), Found("ground_lock", 2, False))
    assert read_patrol("一个钟头，小广告撕了三张", category).found == (Found("illegal_ads", 3, True),)
    assert read_patrol("四十分钟 小广告三张已撕", category).found == (Found("illegal_ads", 3, True),)
    assert read_patrol("转了一圈，一切正常", category).nothing_found
    assert read_patrol("堆物好多", category).minutes is None


def test_photos_sent_during_the_patrol_go_with_its_tickets(app: Flask, rt: Runtime) -> None:
    _chief(rt)
    chat = Simulator(app, CHIEF)
    play(chat, [
        ("巡街 半小时，地锁一个", texts.ASK_LOCATION),
        ("/image media-patrol-1", ("照片收到了（共1张）", texts.ASK_LOCATION)),
        ("跳过", "地桩地锁1处"),
        ("1", "已立为工单："),
    ])
    ticket = rt.issues.find(alley="光明胡同")[0]
    assert [p.kind for p in ticket.photos] == ["report"] and ticket.category == "ground_lock"
