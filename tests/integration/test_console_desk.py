"""The desk beyond one ticket: assigning, 我的, tickets taken by phone or at the counter, 常用回复, bulk actions."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.runtime import Runtime
from bot.wechat.fake_api import FakeWeChatServer
from tests.console_people import CHIEF, OTHER_STAFF, RESIDENT, STAFF, audited, log_in
from tests.integration.test_console_actions import _csrf, _post
from tests.integration.test_issues import sent_to
from tests.people import uid


@pytest.fixture()
def staff(app: Flask, rt: Runtime, people: dict[str, str]) -> FlaskClient:
    rt.accounts.seen(RESIDENT)
    client = app.test_client()
    log_in(client, rt, STAFF)
    return client


def _listed(client: FlaskClient, query: str = "") -> list[str]:
    body = client.get(f"/console/tickets?{query}").get_data(as_text=True)
    return sorted(re.findall(r'name="ticket" value="(\d+)"', body))


def test_assign_tells_the_assignee_and_fills_their_list(staff: FlaskClient, rt: Runtime, people: dict[str, str],
                                                       fake_wechat: FakeWeChatServer,
                                                       run_jobs: Callable[[], None]) -> None:
    ticket, chief = people["光明胡同"], uid(rt, CHIEF)
    assert _post(staff, f"/console/tickets/{ticket}/assign", assignee=str(chief))[0] == 303
    issue = rt.issues.show(ticket)
    assert issue.assignee_id == chief and issue.assignee == "王立新（光明胡同街巷长）"
    run_jobs()
    assert any(t.startswith(f"【指派】工单 {ticket}") for t in sent_to(fake_wechat, CHIEF))
    chiefs = staff.application.test_client()
    log_in(chiefs, rt, CHIEF)
    assert _listed(chiefs, "mine=1") == [ticket]
    assert _listed(staff, "mine=1") == []
    # Only someone who answers for the alley: staff of another street office are refused.
    status, body = _post(staff, f"/console/tickets/{ticket}/assign", assignee=str(uid(rt, OTHER_STAFF)))
    assert status == 400 and "<strong>指派给</strong>" in body
    assert _post(staff, f"/console/tickets/{ticket}/assign", assignee="nobody")[0] == 400
    assert rt.issues.show(ticket).assignee_id == chief
    assert _post(staff, f"/console/tickets/{ticket}/assign", assignee="")[0] == 303  # back to nobody
    assert rt.issues.show(ticket).assignee is None
    assert [e.action for e in audited(rt)] == ["assign", "assign"]


def _form(client: FlaskClient) -> dict[str, str]:
    body = client.get("/console/tickets/new").get_data(as_text=True)
    return {"csrf": _csrf(client), "once": re.findall(r'name="once" value="([^"]+)"', body)[0]}


def test_a_phone_call_becomes_a_ticket_routed_like_a_report(staff: FlaskClient, rt: Runtime,
                                                             people: dict[str, str], fake_wechat: FakeWeChatServer,
                                                             run_jobs: Callable[[], None]) -> None:
    form = {**_form(staff), "channel": "phone", "alley": "光明胡同", "category": "illegal_parking",
            "text": "胡同口三轮车堵了消防通道", "name": "李大爷", "phone": "010-66001122"}
    res = staff.post("/console/tickets/new", data=form)
    assert res.status_code == 303
    again = staff.post("/console/tickets/new", data=form)  # the form sent twice (a double click, a reload)
    assert again.headers["Location"] == res.headers["Location"]
    ticket = res.headers["Location"].rsplit("/", 1)[1]
    issue = rt.issues.show(ticket)
    assert (issue.channel, issue.contact, issue.status, issue.triage) == ("phone", "李大爷 010-66001122",
                                                                         "received", "简易")
    page = staff.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert "电话反映" in page and "李大爷 010-66001122（仅办理人可见）" in page and "已登记为工单" in page
    run_jobs()
    assert any(f"工单 {ticket}" in t and "三轮车" in t for t in sent_to(fake_wechat, CHIEF))  # routed to the chief
    export = staff.get("/console/tickets.csv").get_data().decode("utf-8-sig")
    assert ticket in export and "010-66001122" not in export and "李大爷" not in export  # kept private
    other = staff.application.test_client()
    log_in(other, rt, OTHER_STAFF)
    assert other.get(f"/console/tickets/{ticket}").status_code == 404
    assert [e.action for e in audited(rt)] == ["enter"]


def test_a_resident_with_wechat_hears_about_a_ticket_entered_for_them(staff: FlaskClient, rt: Runtime,
                                                                     people: dict[str, str],
                                                                     fake_wechat: FakeWeChatServer,
                                                                     run_jobs: Callable[[], None]) -> None:
    res = staff.post("/console/tickets/new", data={**_form(staff), "channel": "counter", "alley": "东斜街",
                                                   "category": "facility_damage", "text": "路灯不亮",
                                                   "resident": RESIDENT})
    ticket = res.headers["Location"].rsplit("/", 1)[1]
    assert rt.issues.show(ticket).reporter == RESIDENT
    assert _post(staff, f"/console/tickets/{ticket}/accept")[0] == 303
    run_jobs()
    assert any(ticket in t and "已受理" in t for t in sent_to(fake_wechat, RESIDENT))


@pytest.mark.parametrize(("change", "field"), [
    ({"alley": "福光路"}, "胡同"),  # another street office's alley
    ({"category": "ufo"}, "问题类别"),
    ({"text": "  "}, "反映内容"),
    ({"phone": ""}, "联系电话"),  # no WeChat account and no phone: no way to call back
    ({"phone": "请打给我"}, "联系电话"),
    ({"resident": "o_nobody_here"}, "居民微信"),
    ({"channel": "fax"}, "来源"),
])
def test_a_wrong_entry_names_its_field_and_enters_nothing(staff: FlaskClient, rt: Runtime, people: dict[str, str],
                                                          change: dict[str, str], field: str) -> None:
    form = {**_form(staff), "channel": "phone", "alley": "光明胡同", "category": "sanitation", "text": "垃圾没清",
            "phone": "13800138000", **change}
    res = staff.post("/console/tickets/new", data=form)
    body = res.get_data(as_text=True)
    assert res.status_code == 400 and f"<strong>{field}</strong>" in body
    assert "垃圾没清" in body or change.get("text") == "  "  # what was typed is kept in the form
    assert rt.issues.count() == 3 and audited(rt) == []


def test_templates_are_written_by_staff_and_offered_on_tickets(staff: FlaskClient, app: Flask, rt: Runtime,
                                                              people: dict[str, str]) -> None:
    office = "西长安街街道"
    assert _post(staff, "/console/templates", office=office, title="堆物已清运", body="您反映的堆物已清运，感谢监督。",
                 category="piled_materials", action="resolve")[0] == 303
    assert _post(staff, "/console/templates", office=office, title="已联系城管", body="已联系城管，三日内处理。",
                 action="message")[0] == 303
    status, body = _post(staff, "/console/templates", office=office, title="", body="x")
    assert status == 400 and "<strong>标题</strong>" in body
    assert _post(staff, "/console/templates", office="体育馆路街道", title="x", body="y")[0] == 404  # not theirs
    page = staff.get(f"/console/tickets/{people['光明胡同']}").get_data(as_text=True)  # 堆物堆料
    assert 'data-body="您反映的堆物已清运，感谢监督。"' in page and 'data-body="已联系城管，三日内处理。"' in page
    page = staff.get(f"/console/tickets/{people['东斜街']}").get_data(as_text=True)  # 道路破损: not that one
    assert "感谢监督" not in page and "已联系城管" in page
    chief = app.test_client()
    log_in(chief, rt, CHIEF)
    listing = chief.get("/console/templates").get_data(as_text=True)
    assert "堆物已清运" in listing and "新写一条" not in listing  # chiefs read and use them
    assert _post(chief, "/console/templates", office=office, title="x", body="y")[0] == 403
    template_id = rt.reply_templates.of([office])[0].id
    assert _post(staff, f"/console/templates/{template_id}/delete", office=office)[0] == 303
    assert len(rt.reply_templates.of([office])) == 1
    assert [e.action for e in audited(rt)] == ["template_delete", "template_save", "template_save"]


def test_bulk_actions_are_one_audited_call_per_ticket(staff: FlaskClient, rt: Runtime, people: dict[str, str],
                                                     fake_wechat: FakeWeChatServer,
                                                     run_jobs: Callable[[], None]) -> None:
    gm, dxj, fgl = people["光明胡同"], people["东斜街"], people["福光路"]
    res = staff.post("/console/tickets/bulk", data={
        "csrf": _csrf(staff), "action": "forward", "department": "城管", "ticket": [gm, dxj, fgl],
        "back": "/console/tickets?status=received"})
    assert res.status_code == 303 and res.headers["Location"] == "/console/tickets?status=received"
    assert rt.issues.show(gm).status == rt.issues.show(dxj).status == "forwarded"
    assert rt.issues.show(fgl).status == "received"  # another street office's: not touched
    page = staff.get("/console/tickets").get_data(as_text=True)
    assert "转派：2 件已办理。1 件未能办理" in page and f"{fgl}（没有找到）" in page
    staff.post("/console/tickets/bulk", data={"csrf": _csrf(staff), "action": "message", "ticket": [gm, dxj],
                                              "text": "已转城管，请耐心等待"})
    run_jobs()
    assert sum("已转城管，请耐心等待" in t for t in sent_to(fake_wechat, RESIDENT)) == 2
    audit = [(e.action, e.object_ref) for e in audited(rt)]
    assert sorted(audit) == sorted([("forward", gm), ("forward", dxj), ("message", gm), ("message", dxj)])
    res = staff.post("/console/tickets/bulk", data={"csrf": _csrf(staff), "action": "forward", "ticket": [gm],
                                                    "back": "https://evil.example/phish"})
    assert res.headers["Location"] == "/console/tickets"  # back only ever to the console
    assert staff.post("/console/tickets/bulk", data={"action": "message", "ticket": [gm]}).status_code == 400
