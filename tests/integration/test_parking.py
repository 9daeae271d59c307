"""停车问答 as residents use it: free questions, the numbered menu, their own street's answer, the gap list."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bot.accounts import texts as account_texts
from bot.issues import texts as issue_texts
from bot.parking import texts as parking_texts
from bot.runtime import Runtime
from bot.simulator import Simulator
from tests.cli import Ran, run_cli
from tests.transcript import play

ROOT = Path(__file__).resolve().parents[2]


def test_a_question_gets_the_answer_with_the_residents_own_street_office(chat: Simulator, rt: Runtime) -> None:
    rt.accounts.bind_alley(chat.openid, "福光路")  # 东城区 龙潭街道
    reply = chat.text("东城这边居住停车一个月得交多少钱")
    assert reply and "360" in reply and "龙潭街道" in reply and "010-67122449" in reply


def test_a_street_with_its_own_rule_gets_its_own_answer(chat: Simulator, rt: Runtime) -> None:
    rt.accounts.bind_alley(chat.openid, "幸福北里")  # 龙潭街道 has its own off-peak partners
    assert "龙潭街道组织了" in (chat.text("晚上下班回来没车位 错时停车怎么报名") or "")
    rt.accounts.bind_alley(chat.openid, "光明胡同")  # 西长安街街道: the general answer, its own phone
    reply = chat.text("晚上下班回来没车位 错时停车怎么报名") or ""
    assert "龙潭" not in reply and "西长安街街道" in reply and "010-66026551" in reply


def test_an_alley_named_in_the_question_wins_over_the_home_alley(chat: Simulator, rt: Runtime) -> None:
    rt.accounts.bind_alley(chat.openid, "光明胡同")
    reply = chat.text("幸福北里那边错时停车怎么报名") or ""
    assert "龙潭街道组织了" in reply


def test_a_ground_lock_question_offers_to_file_a_report(chat: Simulator) -> None:
    play(chat, [("邻居在门口私装地锁 这合法吗", ("不可以", "反映地锁"))])


def test_an_unanswerable_parking_question_says_so_gives_the_phone_and_is_recorded(
        chat: Simulator, rt: Runtime) -> None:
    rt.accounts.bind_alley(chat.openid, "体育馆西路")
    reply = chat.text("新能源车停车有优惠吗") or ""
    assert "答不上来" in reply and "体育馆路街道" in reply and "010-67142155" in reply
    [gap] = rt.parking.gaps()
    assert gap.question == "新能源车停车有优惠吗" and gap.alley == "体育馆西路"


def test_a_car_question_that_is_not_about_parking_gets_dont_know(chat: Simulator, rt: Runtime) -> None:
    # 锁 and 办理 are words of the ground-lock and permit topics; neither question is about parking.
    for question in ("轮胎扎了钉子上哪儿补", "后备箱锁坏了打不开"):
        assert rt.parking.ask(question, record_gap=False).topic is None, question
    # A question that does say "park" in its own words is still answered.
    assert rt.parking.ask("家里来人了 车没地方搁 咋弄", record_gap=False).topic == "visitor_parking"


def test_a_parking_word_said_in_pieces_still_counts_and_an_outage_is_not_parking(rt: Runtime) -> None:
    # 贴了张条 is 贴条 spoken; 停电 has the 停 of parking in it and is about the power.
    assert rt.parking.ask("被贴了张条 上哪儿说理去", record_gap=False).topic == "violation"
    assert rt.parking.ask("明天停电到几点", record_gap=False).topic is None
    # 扣分 is the 违停 topic's own word, not a neighbouring subject
    assert rt.parking.ask("违停了会不会扣分", record_gap=False).topic == "violation"


def test_a_neighbouring_subject_without_a_parking_word_is_never_answered(rt: Runtime) -> None:
    # 到期 and 续 are the permit topic's words; the question is about insurance.
    assert rt.parking.ask("车险到期了怎么续", record_gap=False).topic is None
    assert rt.parking.ask("停车认证到期了怎么续", record_gap=False).topic == "resident_permit"


def test_a_vehicles_name_alone_does_not_make_a_parking_question(rt: Runtime) -> None:
    assert rt.parking.ask("电动车头盔在哪买", record_gap=False).topic is None
    assert rt.parking.ask("电动车能在楼道里充电吗", record_gap=False).topic == "nonmotor"
    assert rt.parking.ask("共享单车挡着我家门了 怎么办", record_gap=False).topic == "nonmotor"


def test_without_a_known_alley_the_citizen_hotline_is_given(chat: Simulator) -> None:
    reply = chat.text("残疾人停车有照顾吗") or ""
    assert "市民服务热线 12345" in reply and "街道的电话" not in reply


def test_the_menu_lists_topics_and_a_number_answers(chat: Simulator) -> None:
    play(chat, [
        ("/menu PARKING", ("1. 居住停车认证怎么办", "10. 哪里不能停车")),
        ("99", (parking_texts.PARKING_CHOOSE, "5. 地锁地桩")),
        ("5", ("不可以", "地锁")),
        ("5", account_texts.FALLBACK),  # the menu is done: a bare number means nothing now
    ])


def test_typing_a_question_at_the_menu_answers_it_and_cancel_leaves(chat: Simulator) -> None:
    play(chat, [
        ("停车问答", "1."),
        ("电瓶车能在楼道里充电吗", "严禁"),
        ("停车问答", "1."),
        ("取消", account_texts.CANCELLED),
    ])


def test_a_report_typed_at_the_menu_becomes_a_report_and_a_question_about_one_is_answered(
        chat: Simulator, rt: Runtime) -> None:
    play(chat, [
        ("停车问答", "1."),
        # no topic answers this: it is a report, not a parking question (it used to get "答不上来" and a gap)
        ("门口有辆破面包车扔了小半年了 轱辘都没气了", (account_texts.LEFT_FLOW, issue_texts.REPORT_ASK_ALLEY)),
        ("取消", account_texts.CANCELLED),
        ("停车问答", "1."),
        ("门口被人装了地锁 这合法吗", ("不可以", "反映地锁")),  # a question about a problem keeps its answer
    ])
    assert rt.parking.gaps() == []


def _cli(rt: Runtime, *args: str) -> Ran:
    env = {**os.environ, "DATABASE_URL": rt.settings.database_url, "REDIS_URL": rt.settings.redis_url or ""}
    return run_cli(["parking", *args], env)


def test_cli_ask_eval_and_gaps(rt: Runtime, chat: Simulator) -> None:
    out = _cli(rt, "ask", "私装地锁合法吗", "--json")
    doc = json.loads(out.stdout)
    assert doc["topic"] == "ground_locks" and "不可以" in doc["answer"] and 0 < doc["confidence"] <= 1
    assert json.loads(_cli(rt, "ask", "量子计算机怎么编程", "--json").stdout)["topic"] is None
    out = _cli(rt, "eval", str(ROOT / "nlu" / "data" / "parking_test.jsonl"), "--json", "--min-accuracy", "0.9")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["n"] >= 60 and report["top1_accuracy"] >= 0.9
    assert report["n_uncovered"] > 0 and report["dont_know_recall"] >= 0.9 and report["covered_top1"] >= 0.9
    chat.text("新能源车停车有优惠吗")
    gaps = json.loads(_cli(rt, "gaps", "--json").stdout)
    assert [g["question"] for g in gaps] == ["新能源车停车有优惠吗"]


def test_held_out_questions_are_never_variants() -> None:
    import yaml

    kb = yaml.safe_load((ROOT / "config" / "parking.yml").read_text(encoding="utf-8"))
    variants = {q for t in kb["topics"] for q in t["questions"]}
    held_out = [json.loads(line)["text"] for line in (ROOT / "nlu" / "data" / "parking_test.jsonl").open()]
    assert len(held_out) >= 60 and [q for q in held_out if q in variants] == []
    for path in (ROOT / "nlu" / "heldout").glob("parking*.jsonl"):
        colloquial = [json.loads(line)["text"] for line in path.open() if line.strip()]
        assert [q for q in colloquial if q in variants] == [], path.name
