"""调查 at the desk: created within the scope under the chat's rules, results with correlations, close, export."""

from __future__ import annotations

import io
import re

from flask import Flask
from openpyxl import load_workbook

from bot.runtime import Runtime
from tests.console_people import CHIEF, OTHER_STAFF, STAFF, audited, log_in
from tests.integration.test_console_actions import _csrf
from tests.people import uid


def test_a_poll_from_the_desk_answered_closed_and_exported(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    chief = app.test_client()
    log_in(chief, rt, CHIEF)
    res = chief.post("/console/polls", data={"csrf": _csrf(chief), "scale": "satisfaction", "target": "光明胡同",
                                             "questions": "您对环境卫生满意吗？\n\n您对停车秩序满意吗？"})
    assert res.status_code == 303
    poll_id = int(res.headers["Location"].rsplit("/", 1)[1])
    poll = rt.polls.within(["光明胡同"], [])[0].poll
    assert [q.text for q in poll.questions] == ["您对环境卫生满意吗？", "您对停车秩序满意吗？"] and poll.open
    for n, (a, b) in enumerate([(3, 3), (2, 2), (1, 1), (3, 2)]):
        user = uid(rt, f"o_voter_{n}")
        rt.accounts.bind_alley(f"o_voter_{n}", "光明胡同")
        rt.polls.answer(user, poll_id, poll.questions[0].id, a)
        rt.polls.answer(user, poll_id, poll.questions[1].id, b)
    fragment = chief.get(f"/console/polls/{poll_id}/results").get_data(as_text=True)
    assert 'hx-trigger="load delay:10s"' in fragment and "<td>4</td>" in fragment  # open: it refreshes itself
    page = chief.get(f"/console/polls/{poll_id}").get_data(as_text=True)
    assert "4 人回答" in page and "您对停车秩序满意吗？" in page and "Pearson" in page
    assert re.search(r"<td>0\.8\d*</td>", page)  # r between the two questions, four answers each
    export = load_workbook(io.BytesIO(chief.get(f"/console/polls/{poll_id}.xlsx").data))
    assert export.sheetnames == ["结果", "相关"] and export["结果"]["A2"].value == "您对环境卫生满意吗？"
    assert chief.get(f"/console/polls/{poll_id}.csv").data.startswith(b"\xef\xbb\xbf")
    assert chief.post(f"/console/polls/{poll_id}/close", data={"csrf": _csrf(chief)}).status_code == 303
    assert not rt.polls.within(["光明胡同"], [])[0].poll.open
    assert "hx-trigger" not in chief.get(f"/console/polls/{poll_id}/results").get_data(as_text=True)  # closed
    assert [e.action for e in audited(rt)] == ["poll_close", "poll_create"]
    other = app.test_client()
    log_in(other, rt, OTHER_STAFF)
    assert other.get(f"/console/polls/{poll_id}").status_code == 404
    assert other.get(f"/console/polls/{poll_id}.xlsx").status_code == 404


def test_a_wrong_poll_form_names_its_field(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    chief = app.test_client()
    log_in(chief, rt, CHIEF)
    for form, field in (({"questions": "", "target": "光明胡同"}, "问题"),
                        ({"questions": "\n".join(f"第{n}题" for n in range(11)), "target": "光明胡同"}, "问题"),
                        ({"questions": "满意吗", "target": "东斜街"}, "调查对象"),
                        ({"questions": "满意吗", "target": "西长安街街道"}, "调查对象"),  # a chief is not staff
                        ({"questions": "满意吗", "target": "光明胡同", "scale": "stars"}, "选项"),
                        ({"questions": "满意吗", "target": "光明胡同", "closes_at": "下周"}, "截止时间"),
                        ({"questions": "满意吗", "target": "光明胡同", "closes_at": "2020-01-01T00:00"}, "截止时间")):
        res = chief.post("/console/polls", data={"csrf": _csrf(chief), "scale": "satisfaction", **form})
        assert res.status_code == 400 and f"<strong>{field}</strong>" in res.get_data(as_text=True), form
    assert rt.polls.within(["光明胡同"], ["西长安街街道"]) == []
    staff = app.test_client()
    log_in(staff, rt, STAFF)
    res = staff.post("/console/polls", data={"csrf": _csrf(staff), "scale": "agreement",
                                             "target": "西长安街街道", "questions": "您赞同设立共享车位吗？"})
    assert res.status_code == 303 and rt.polls.within([], ["西长安街街道"])[0].audience == "西长安街街道"


def test_the_poll_list_filters_pages_and_exports(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    staff = app.test_client()
    log_in(staff, rt, STAFF)
    for target, question in (("光明胡同", "满意吗一"), ("东斜街", "满意吗二"), ("西长安街街道", "满意吗三")):
        staff.post("/console/polls", data={"csrf": _csrf(staff), "scale": "satisfaction", "target": target,
                                           "questions": question})
    first = rt.polls.within(["光明胡同"], [])[0].poll.id
    staff.post(f"/console/polls/{first}/close", data={"csrf": _csrf(staff)})
    body = staff.get("/console/polls?state=open").get_data(as_text=True)
    assert "满意吗二" in body and "满意吗三" in body and "满意吗一" not in body
    body = staff.get("/console/polls?alley=东斜街").get_data(as_text=True)
    assert "满意吗二" in body and "满意吗一" not in body and "满意吗三" in body  # the office's poll covers it
    lines = staff.get("/console/polls.csv?state=closed").get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("编号,调查对象") and len(lines) == 2 and "满意吗一" in lines[1]
