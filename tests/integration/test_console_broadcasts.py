"""通知 at the desk: the chat's preview and limits, the scope, one notice per confirmation, the live report."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from bot.runtime import Runtime
from bot.wechat.fake_api import FakeWeChatServer
from tests.console_people import CHIEF, RESIDENT, STAFF, audited, log_in
from tests.integration.test_console_actions import _csrf
from tests.integration.test_issues import sent_to


def _bind(rt: Runtime, openid: str, alley: str) -> None:
    rt.accounts.bind_alley(openid, alley)
    rt.accounts.seen(openid)


def _preview(client: FlaskClient, **form: object) -> tuple[int, str]:
    res = client.post("/console/broadcasts/preview", data={"csrf": _csrf(client), **form})
    return res.status_code, res.get_data(as_text=True)


def test_a_chief_previews_sends_and_watches_a_notice(app: Flask, rt: Runtime, people: dict[str, str],
                                                     fake_wechat: FakeWeChatServer,
                                                     run_jobs: Callable[[], None]) -> None:
    for n in range(3):
        _bind(rt, f"o_gm_{n}", "光明胡同")
    _bind(rt, "o_dxj_0", "东斜街")
    chief = app.test_client()
    log_in(chief, rt, CHIEF)
    status, body = _preview(chief, alley="光明胡同", text="周六上午9点大扫除")
    assert status == 200 and "4 人" in body and "周六上午9点大扫除" in body  # three residents and the chief
    once = re.findall(r'name="once" value="([^"]+)"', body)[0]
    form = {"csrf": _csrf(chief), "once": once, "alley": "光明胡同", "text": "周六上午9点大扫除", "send_at": ""}
    res = chief.post("/console/broadcasts", data=form)
    assert res.status_code == 303
    assert chief.post("/console/broadcasts", data=form).headers["Location"] == res.headers["Location"]  # once
    page = chief.get(res.headers["Location"]).get_data(as_text=True)
    assert "周六上午9点大扫除" in page
    assert ('hx-get="' in page) is not rt.jobs.inline  # while pending, the report asks for itself again
    run_jobs()
    report = chief.get(res.headers["Location"] + "/report").get_data(as_text=True)
    assert 'data-key="sent">4<' in report and "hx-get" not in report and "发送完毕" in report
    assert all(any("大扫除" in t for t in sent_to(fake_wechat, f"o_gm_{n}")) for n in range(3))
    assert not sent_to(fake_wechat, "o_dxj_0")
    assert [e.action for e in audited(rt)] == ["broadcast"]
    assert "周六上午9点大扫除" in chief.get("/console/broadcasts").get_data(as_text=True)


def test_the_scope_and_the_limits_are_the_chats(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    chief = app.test_client()
    log_in(chief, rt, CHIEF)
    status, body = _preview(chief, alley="东斜街", text="越权通知")
    assert status == 400 and "<strong>发给谁</strong>" in body
    status, body = _preview(chief, office="西长安街街道", text="全街道")
    assert status == 400 and "<strong>发给谁</strong>" in body  # a chief is not staff
    status, body = _preview(chief, alley="光明胡同", text="长" * (rt.config.broadcasts.max_length + 1))
    assert status == 400 and "<strong>通知内容</strong>" in body
    status, body = _preview(chief, alley="光明胡同", text="过去的通知", send_at="2020-01-01T09:00")
    assert status == 200  # the preview shows it; sending refuses a time in the past
    res = chief.post("/console/broadcasts", data={"csrf": _csrf(chief), "once": "x" * 20, "alley": "光明胡同",
                                                  "text": "过去的通知", "send_at": "2020-01-01T09:00"})
    assert res.status_code == 400 and "<strong>发送时间</strong>" in res.get_data(as_text=True)
    status, body = _preview(chief, alley="光明胡同", text="x", send_at="明天早上")
    assert status == 400 and "<strong>发送时间</strong>" in body
    staff = app.test_client()
    log_in(staff, rt, STAFF)
    status, body = _preview(staff, office="西长安街街道", text="全街道停水通知")
    assert status == 200 and "西长安街街道" in body
    for n in range(rt.config.broadcasts.daily_cap_per_sender):
        assert staff.post("/console/broadcasts", data={"csrf": _csrf(staff), "once": f"{n}" * 20,
                                                      "alley": "东斜街", "text": f"第{n}条"}).status_code == 303
    res = staff.post("/console/broadcasts", data={"csrf": _csrf(staff), "once": "z" * 20, "alley": "东斜街",
                                                  "text": "超出"})
    assert res.status_code == 400 and "<strong>发送次数</strong>" in res.get_data(as_text=True)
    mine = rt.broadcasts.recent(["东斜街"], ["西长安街街道"])[0].id
    assert chief.get(f"/console/broadcasts/{mine}").status_code == 404  # 东斜街's notice: not the chief's


def test_a_resident_has_no_desk(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    from urllib.parse import urlparse

    client = app.test_client()
    assert client.get("/console/broadcasts").status_code == 302
    rt.accounts.grant_role(RESIDENT, "chief", "光明胡同")
    client.get(urlparse(rt.console_logins.link(rt.accounts.get(RESIDENT))).path)  # type: ignore[arg-type]
    rt.accounts.grant_role(RESIDENT, "resident", None)
    assert client.get("/console/broadcasts").status_code == 403


def test_the_notice_list_filters_and_exports(app: Flask, rt: Runtime, people: dict[str, str],
                                             run_jobs: Callable[[], None]) -> None:
    staff = app.test_client()
    log_in(staff, rt, STAFF)
    for n, (alley, text) in enumerate((("光明胡同", "周六停水"), ("东斜街", "周日修路"))):
        staff.post("/console/broadcasts", data={"csrf": _csrf(staff), "once": f"{n}" * 20, "alley": alley,
                                                "text": text})
    run_jobs()
    body = staff.get("/console/broadcasts?alley=东斜街").get_data(as_text=True)
    assert "周日修路" in body and "周六停水" not in body and "共 1 条" in body
    assert "周六停水" in staff.get("/console/broadcasts?q=停水").get_data(as_text=True)
    assert "共 0 条" in staff.get("/console/broadcasts?until=2020-01-01").get_data(as_text=True)
    lines = staff.get("/console/broadcasts.csv").get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("编号,发送时间,发给") and len(lines) == 3
