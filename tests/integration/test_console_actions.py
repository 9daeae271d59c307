"""Acting on tickets at the desk: each action is the chat's service call, scoped, CSRF-checked, audited, and
notifies the resident the same way; a refused action changes nothing."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from bot.runtime import Runtime
from bot.wechat.fake_api import FakeWeChatServer
from tests.console_people import CHIEF, OTHER_STAFF, RESIDENT, STAFF, audited, log_in
from tests.integration.test_issues import sent_to


def _csrf(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return str(session["csrf"])


def _post(client: FlaskClient, path: str, **form: object) -> tuple[int, str]:
    res = client.post(path, data={"csrf": _csrf(client), **form}, content_type="multipart/form-data",
                      environ_base={"REMOTE_ADDR": "10.1.2.3"})
    return res.status_code, res.get_data(as_text=True)


def _photo(color: str = "red") -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buf, "PNG")
    buf.seek(0)
    return buf


@pytest.fixture()
def chief(app: Flask, rt: Runtime, people: dict[str, str]) -> FlaskClient:
    rt.accounts.seen(RESIDENT)  # the resident wrote lately: progress is pushed to them
    client = app.test_client()
    log_in(client, rt, CHIEF)
    return client


def test_accept_is_the_chat_action_audited_and_notified(
        chief: FlaskClient, rt: Runtime, people: dict[str, str], fake_wechat: FakeWeChatServer,
        run_jobs: Callable[[], None]) -> None:
    ticket = people["光明胡同"]
    status, _ = _post(chief, f"/console/tickets/{ticket}/accept")
    assert status == 303
    assert rt.issues.show(ticket).status == "accepted"
    page = chief.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert "已受理，居民会收到通知" in page and "已受理" in page
    run_jobs()
    assert any("街巷长已受理" in t and ticket in t for t in sent_to(fake_wechat, RESIDENT))
    entry = audited(rt)[0]
    assert (entry.action, entry.object_ref, entry.ip) == ("accept", ticket, "10.1.2.3")
    assert entry.actor == "街巷长 · 光明胡同"  # a role and an alley, never an openid
    again, body = _post(chief, f"/console/tickets/{ticket}/accept")  # a second click, or a stale page
    assert again == 409 and "不能做这个操作" in body
    assert len(audited(rt)) == 1


def test_without_the_sessions_token_nothing_happens(chief: FlaskClient, rt: Runtime, people: dict[str, str]) -> None:
    ticket = people["光明胡同"]
    res = chief.post(f"/console/tickets/{ticket}/accept", data={"csrf": "forged"})
    assert res.status_code == 400 and rt.issues.show(ticket).status == "received"
    assert audited(rt) == []


def test_a_ticket_of_another_scope_is_not_found(chief: FlaskClient, rt: Runtime, people: dict[str, str]) -> None:
    for alley in ("东斜街", "福光路"):
        status, body = _post(chief, f"/console/tickets/{people[alley]}/resolve", note="已处理")
        assert status == 404 and f"{alley}的问题" not in body
        assert rt.issues.show(people[alley]).status == "received"


def test_resolve_with_photos_uploaded_from_the_desktop(
        chief: FlaskClient, rt: Runtime, people: dict[str, str], fake_wechat: FakeWeChatServer,
        run_jobs: Callable[[], None]) -> None:
    ticket = people["光明胡同"]
    status, _ = _post(chief, f"/console/tickets/{ticket}/resolve", note="堆物已清运",
                      photos=[(_photo("red"), "after1.png"), (_photo("blue"), "after2.png")])
    assert status == 303
    issue = rt.issues.show(ticket)
    assert issue.status == "resolved" and issue.note == "堆物已清运"
    after = [p for p in issue.photos if p.kind == "after"]
    assert len(after) == 2 and all(p.status == "stored" for p in after)
    page = chief.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert "处理后的照片" in page and f"/console/tickets/{ticket}/photos/{after[0].id}?size=thumb" in page
    full = chief.get(f"/console/tickets/{ticket}/photos/{after[0].id}")
    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(full.data)).size == (640, 480)
    thumb = chief.get(f"/console/tickets/{ticket}/photos/{after[0].id}?size=thumb")
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= rt.config.issues.thumbnail_px
    run_jobs()
    told = [t for t in sent_to(fake_wechat, RESIDENT) if ticket in t and "已办结" in t]
    assert told and "堆物已清运" in told[0] and "打个分" in told[0]
    other = chief.application.test_client()
    log_in(other, rt, OTHER_STAFF)  # another street office: neither the page nor the photo
    assert other.get(f"/console/tickets/{ticket}/photos/{after[0].id}").status_code == 404


def test_a_file_that_is_not_an_image_refuses_the_whole_action(chief: FlaskClient, rt: Runtime,
                                                             people: dict[str, str]) -> None:
    ticket = people["光明胡同"]
    status, body = _post(chief, f"/console/tickets/{ticket}/resolve", note="已清理",
                         photos=[(_photo(), "good.png"), (io.BytesIO(b"%PDF-1.4 not a photo"), "report.pdf")])
    assert status == 400 and "照片" in body and "不是能识别的图片" in body
    issue = rt.issues.show(ticket)
    assert issue.status == "received" and not [p for p in issue.photos if p.kind == "after"]
    assert [e["kind"] for e in rt.issues.history(ticket)] == ["received"] and audited(rt) == []


def test_each_form_says_which_field_is_wrong(chief: FlaskClient, rt: Runtime, people: dict[str, str]) -> None:
    ticket = people["光明胡同"]
    status, body = _post(chief, f"/console/tickets/{ticket}/resolve", note="  ")
    assert status == 400 and "<strong>说明</strong>" in body
    status, body = _post(chief, f"/console/tickets/{ticket}/forward", department="外星局")
    assert status == 400 and "<strong>转派部门</strong>" in body
    status, body = _post(chief, f"/console/tickets/{ticket}/message", text="")
    assert status == 400 and "<strong>说明</strong>" in body
    assert _post(chief, f"/console/tickets/{ticket}/explode")[0] == 404
    assert rt.issues.show(ticket).status == "received" and audited(rt) == []


def test_forward_reject_reopen_and_message(chief: FlaskClient, rt: Runtime, people: dict[str, str],
                                           fake_wechat: FakeWeChatServer, run_jobs: Callable[[], None]) -> None:
    ticket = people["光明胡同"]
    assert _post(chief, f"/console/tickets/{ticket}/forward", department="城管")[0] == 303
    assert rt.issues.show(ticket).department == "城管"
    assert _post(chief, f"/console/tickets/{ticket}/reject", note="不属于街巷管理范围")[0] == 303
    assert _post(chief, f"/console/tickets/{ticket}/reopen", note="复查发现又堆上了")[0] == 303
    issue = rt.issues.show(ticket)
    assert issue.status == "in_progress" and issue.resolved_at is None
    assert _post(chief, f"/console/tickets/{ticket}/message", text="明天上午清运，请把自家东西收好")[0] == 303
    run_jobs()
    texts = sent_to(fake_wechat, RESIDENT)
    assert any("已重新打开" in t and "复查发现又堆上了" in t for t in texts)
    assert any(t.endswith("处理人员回复：\n明天上午清运，请把自家东西收好") for t in texts)
    page = chief.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert "重新打开：复查发现又堆上了" in page and "回复居民：明天上午清运" in page
    assert [e.action for e in audited(rt)] == ["message", "reopen", "reject", "forward"]


def test_merge_within_the_scope_only(app: Flask, rt: Runtime, people: dict[str, str],
                                     fake_wechat: FakeWeChatServer, run_jobs: Callable[[], None]) -> None:
    rt.accounts.seen(RESIDENT)
    staff = app.test_client()
    log_in(staff, rt, STAFF)
    gm, dxj, fgl = people["光明胡同"], people["东斜街"], people["福光路"]
    status, body = _post(staff, f"/console/tickets/{gm}/merge", into=fgl)  # another street office's ticket
    assert status == 400 and "没有找到要合并到的工单" in body and "福光路的问题" not in body
    assert _post(staff, f"/console/tickets/{gm}/merge", into=gm)[0] == 400
    assert _post(staff, f"/console/tickets/{gm}/merge", into=dxj)[0] == 303
    merged = rt.issues.show(gm)
    assert merged.status == "duplicate" and merged.duplicate_of == dxj
    run_jobs()
    assert any(f"和工单 {dxj} 是同一个问题" in t for t in sent_to(fake_wechat, RESIDENT))
    assert _post(staff, f"/console/tickets/{gm}/accept")[0] == 409  # merged: closed


def test_the_audit_page_is_for_staff_and_their_office(app: Flask, rt: Runtime, people: dict[str, str],
                                                     chief: FlaskClient) -> None:
    _post(chief, f"/console/tickets/{people['光明胡同']}/accept")
    assert chief.get("/console/audit").status_code == 403
    staff = app.test_client()
    log_in(staff, rt, STAFF)
    body = staff.get("/console/audit").get_data(as_text=True)
    assert "受理" in body and people["光明胡同"] in body and "10.1.2.3" in body and CHIEF not in body
    assert "登录工作台" in body and "登录链接" in body  # the chief's login is in their office's log too
    other = app.test_client()
    log_in(other, rt, OTHER_STAFF)
    assert people["光明胡同"] not in other.get("/console/audit").get_data(as_text=True)
    with staff.session_transaction() as session:
        token = session["csrf"]
    staff.post("/console/logout", data={"csrf": token})
    assert [e.action for e in rt.audit_log.recent(None)[:1]] == ["logout"]


def test_the_audit_log_filters_and_exports(app: Flask, rt: Runtime, people: dict[str, str],
                                           chief: FlaskClient) -> None:
    _post(chief, f"/console/tickets/{people['光明胡同']}/accept")
    _post(chief, f"/console/tickets/{people['光明胡同']}/message", text="=1+1 马上到")
    staff = app.test_client()
    log_in(staff, rt, STAFF)
    body = staff.get("/console/audit?action=message").get_data(as_text=True)
    assert "回复居民" in body and "受理</td>" not in body
    lines = staff.get("/console/audit.csv?action=message").get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("时间,谁,操作") and len(lines) == 2 and "'=1+1 马上到" in lines[1]
    assert staff.get("/console/audit?since=yesterday").status_code == 400
    assert staff.get("/console/audit?action=drop").status_code == 400
    assert chief.get("/console/audit.csv").status_code == 403
