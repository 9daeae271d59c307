"""街道工作台: logging in through WeChat, and who sees what (the one authority rule), through the Flask client."""

from __future__ import annotations

import json
import os
import time
from urllib.parse import urlparse

from flask import Flask
from flask.testing import FlaskClient

from bot.accounts import texts as account_texts
from bot.runtime import Runtime
from bot.simulator import Simulator
from tests.cli import run_cli
from tests.console_people import CHIEF, OTHER_STAFF, RESIDENT, STAFF, audited, log_in


def page(client: FlaskClient, path: str) -> tuple[int, str]:
    res = client.get(path)
    return res.status_code, res.get_data(as_text=True)


def test_a_link_logs_in_once(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    client = app.test_client()
    path = urlparse(rt.console_logins.link(rt.accounts.get(CHIEF))).path  # type: ignore[arg-type]
    assert client.get(path).status_code == 302
    status, body = page(client, "/console/")
    assert status == 200 and "光明胡同" in body and "待受理" in body
    again, used = page(app.test_client(), path)
    assert again == 410 and "这个登录链接已经失效" in used and "工作台" in used


def test_a_chief_sees_their_alley_and_nothing_else(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    client = app.test_client()
    log_in(client, rt, CHIEF)
    status, body = page(client, "/console/tickets")
    assert status == 200 and people["光明胡同"] in body
    assert people["东斜街"] not in body and people["福光路"] not in body
    assert page(client, f"/console/tickets/{people['光明胡同']}")[0] == 200
    for other in ("东斜街", "福光路"):
        status, body = page(client, f"/console/tickets/{people[other]}")
        assert status == 404 and f"{other}的问题" not in body  # not its content, not even that it exists
    status, body = page(client, "/console/tickets?alley=东斜街")
    assert status == 200 and people["东斜街"] not in body


def test_staff_see_their_street_office(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    client = app.test_client()
    log_in(client, rt, STAFF)
    status, body = page(client, "/console/tickets")
    assert status == 200 and people["光明胡同"] in body and people["东斜街"] in body and people["福光路"] not in body
    other = app.test_client()
    log_in(other, rt, OTHER_STAFF)
    assert page(other, f"/console/tickets/{people['福光路']}")[0] == 200
    assert page(other, f"/console/tickets/{people['光明胡同']}")[0] == 404


def test_logged_out_goes_to_the_login_page_and_a_revoked_role_ends_the_session(
        app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    client = app.test_client()
    res = client.get("/console/tickets")
    assert res.status_code == 302 and res.headers["Location"].endswith("/console/login")
    status, body = page(client, "/console/login")
    assert status == 200 and "工作台" in body
    log_in(client, rt, CHIEF)
    rt.accounts.grant_role(CHIEF, "resident", None)
    status, body = page(client, "/console/tickets")
    assert status == 403 and people["光明胡同"] not in body
    assert page(client, "/console/")[0] == 302  # the session is gone


def test_an_idle_session_expires(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    client = app.test_client()
    log_in(client, rt, CHIEF)
    with client.session_transaction() as session:
        session["seen"] = time.time() - 8 * 3600 - 1
    assert client.get("/console/").status_code == 302


def test_logout_needs_the_sessions_token(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    client = app.test_client()
    log_in(client, rt, CHIEF)
    assert client.post("/console/logout", data={"csrf": "forged"}).status_code == 400
    with client.session_transaction() as session:
        token = session["csrf"]
    assert client.post("/console/logout", data={"csrf": token}).status_code == 302
    assert client.get("/console/").status_code == 302


def test_security_headers_and_no_outside_scripts(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    client = app.test_client()
    log_in(client, rt, CHIEF)
    res = client.get("/console/tickets")
    assert "default-src 'self'" in res.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in res.headers["Content-Security-Policy"]
    assert res.headers["X-Content-Type-Options"] == "nosniff" and res.headers["Referrer-Policy"] == "same-origin"
    body = res.get_data(as_text=True)
    assert "http://" not in body.replace("http://localhost", "") and "https://" not in body
    cookie = client.get_cookie("alleybot_console")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_workbench_in_chat_sends_a_link_that_logs_in(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    reply = Simulator(app, CHIEF).text("工作台") or ""
    url = reply.split("\n")[-1]
    # (after the chief's held notices: the new tickets above were never pushed to them)
    assert reply.endswith(account_texts.console_link(url, 10))
    assert url.startswith(rt.settings.public_url + "/console/login/")
    client = app.test_client()
    assert client.get(urlparse(url).path).status_code == 302
    assert people["光明胡同"] in page(client, "/console/tickets")[1]
    assert Simulator(app, RESIDENT).text("工作台") == account_texts.CONSOLE_STAFF_ONLY


def test_cli_login_link(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    env = {**os.environ, "DATABASE_URL": rt.settings.database_url, "REDIS_URL": rt.settings.redis_url or "",
           "ALLEYBOT_VAR_DIR": str(rt.settings.var_dir)}
    out = run_cli(["console", "login-link", STAFF, "--json"], env)
    assert out.returncode == 0, out.stderr
    client = app.test_client()
    assert client.get(urlparse(json.loads(out.stdout)["url"]).path).status_code == 302
    assert people["东斜街"] in page(client, "/console/tickets")[1]
    before = len(rt.redis.keys("alleybot:console:link:*"))
    refused = run_cli(["console", "login-link", RESIDENT, "--json"], env)
    assert refused.returncode != 0 and "no chief or staff role" in refused.stderr and refused.stdout == ""
    assert len(rt.redis.keys("alleybot:console:link:*")) == before  # nothing issued


def _code(body: str) -> str:
    return body.split("登录 <strong>")[1].split("</strong>")[0]


def test_a_desktop_shows_a_code_and_the_chief_sends_it_from_wechat(app: Flask, rt: Runtime,
                                                                   people: dict[str, str]) -> None:
    desk = app.test_client()
    status, body = page(desk, "/console/login")
    code = _code(body)
    assert status == 200 and len(code) == 6 and code.isdigit()
    assert page(desk, "/console/login")[1].count(code) == 1  # the same code while it is fresh
    assert desk.get("/console/login/status").get_json() == {"in": False}
    assert Simulator(app, CHIEF).text(f"登录 {code}") .endswith(account_texts.CONSOLE_CODE_DONE)  # type: ignore[union-attr]
    status, body = page(desk, "/console/tickets")  # logged in on its next request, whatever it asks for
    assert status == 200 and people["光明胡同"] in body
    assert Simulator(app, STAFF).text(f"登录 {code}") == account_texts.CONSOLE_CODE_WRONG  # used: once only


def test_a_code_logs_in_only_the_browser_that_showed_it_and_only_for_staff(app: Flask, rt: Runtime,
                                                                          people: dict[str, str]) -> None:
    desk, other = app.test_client(), app.test_client()
    code = _code(page(desk, "/console/login")[1])
    page(other, "/console/login")
    assert Simulator(app, RESIDENT).text(f"登录 {code}") == account_texts.CONSOLE_STAFF_ONLY
    assert desk.get("/console/").status_code == 302  # a resident's message logs nobody in
    assert Simulator(app, CHIEF).text(f"登录 {code}").endswith(account_texts.CONSOLE_CODE_DONE)  # type: ignore[union-attr]
    assert other.get("/console/").status_code == 302 and desk.get("/console/").status_code == 200


def test_wrong_codes_are_limited_per_sender(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    chief = Simulator(app, STAFF)
    assert chief.text("登录 12345") == account_texts.CONSOLE_CODE_WRONG  # a digit short: said so, not "not understood"
    replies = [chief.text(f"登录 {n:06d}") for n in range(6)]
    assert replies[:5] == [account_texts.CONSOLE_CODE_WRONG] * 5
    assert replies[5] == account_texts.CONSOLE_CODE_LIMITED
    desk = app.test_client()
    code = _code(page(desk, "/console/login")[1])
    assert chief.text(f"登录 {code}") == account_texts.CONSOLE_CODE_LIMITED  # even the right one, for a while
    assert desk.get("/console/").status_code == 302


def test_the_list_exports_as_csv_for_excel_within_the_scope(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    client = app.test_client()
    assert client.get("/console/tickets.csv").status_code == 302  # logged out: the login page
    log_in(client, rt, STAFF)
    res = client.get("/console/tickets.csv?status=received")
    data = res.get_data()
    assert res.status_code == 200 and res.mimetype == "text/csv" and data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("工单号,胡同,街道")
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted([people["光明胡同"], people["东斜街"]])
    other = client.get("/console/tickets.csv?alley=福光路").get_data().decode("utf-8-sig").splitlines()
    assert len(other) == 1  # the header only: 福光路 is another street office's


def _listed(client: FlaskClient, query: str) -> list[str]:
    res = client.get(f"/console/tickets.csv?{query}")
    assert res.status_code == 200, res.get_data(as_text=True)
    return sorted(line.split(",")[0] for line in res.get_data().decode("utf-8-sig").splitlines()[1:])


def test_every_filter_narrows_the_list_and_its_exports(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    from datetime import UTC, date, datetime, timedelta

    from bot.core.clock import BEIJING
    from tests.people import uid

    gm, dxj = people["光明胡同"], people["东斜街"]
    late = rt.issues.report(uid(rt, RESIDENT), "src-late", "光明胡同", "ground_lock", "门口装了个地锁",
                            now=datetime.now(UTC) - timedelta(days=40)).issue
    assert late is not None
    client = app.test_client()
    log_in(client, rt, STAFF)
    assert _listed(client, "category=road_damage") == [dxj]
    assert _listed(client, "triage=难点") == []
    assert _listed(client, "triage=基础") == sorted([late.ticket, gm, dxj])  # 地锁, 堆物堆料, 道路破损: 基础类
    assert _listed(client, "overdue=1") == [late.ticket]
    today = datetime.now(BEIJING).date()
    assert _listed(client, f"since={today}") == sorted([gm, dxj])
    assert _listed(client, f"until={today - timedelta(days=1)}") == [late.ticket]
    assert _listed(client, "q=地锁") == [late.ticket]
    assert _listed(client, f"q={dxj}") == [dxj]
    assert _listed(client, "q=福光路") == []  # another street office's words: not found, even by text
    assert _listed(client, "q=100%") == []  # a wildcard typed by a clerk is a character, not a pattern
    status, body = page(client, "/console/tickets?since=2026-13-45")
    assert status == 400 and "起始日期" in body and "2026-11-01" in body
    status, body = page(client, f"/console/tickets?since={today}&until={date(2020, 1, 1)}")
    assert status == 400 and "起始日期晚于截止日期" in body
    status, body = page(client, "/console/tickets?category=road_damage&order=due")
    assert status == 200 and dxj in body and gm not in body and 'value="road_damage" selected' in body
    assert "category=road_damage" in body.split("导出")[1]  # the exports carry the same filters


def test_the_list_exports_as_xlsx_without_running_formulas(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    import io

    from openpyxl import load_workbook

    from tests.people import uid

    rt.issues.report(uid(rt, RESIDENT), "src-formula", "光明胡同", "illegal_ads", '=HYPERLINK("http://x","点我")')
    client = app.test_client()
    log_in(client, rt, CHIEF)
    res = client.get("/console/tickets.xlsx?category=illegal_ads")
    assert res.status_code == 200 and res.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment; filename=tickets-" in res.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(res.data)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][:3] == ("工单号", "胡同", "街道") and len(rows) == 2
    assert rows[1][1] == "光明胡同" and rows[1][7] == "'=HYPERLINK(\"http://x\",\"点我\")"
    assert client.get("/console/tickets.xlsx?since=yesterday").status_code == 400


def test_login_pages_are_rate_limited(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    desk = app.test_client()
    statuses = [desk.get("/console/login").status_code for _ in range(31)]  # reloads from one address
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    status, body = page(desk, "/console/login")
    assert status == 429 and "操作太频繁" in body and "工作台" in body
    script = [app.test_client().get("/console/login", environ_base={"REMOTE_ADDR": "10.8.8.8"}).status_code
              for _ in range(31)]  # a script that keeps no cookie: a new page each time, bounded per address
    assert script[:30] == [200] * 30 and script[30] == 429
    other = app.test_client()  # another address is not affected
    assert other.get("/console/login", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 200
    statuses = [other.get(f"/console/login/{n}x", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code
                for n in range(21)]
    assert statuses[:20] == [410] * 20 and statuses[20] == 429
    assert other.post("/wechat").status_code != 429  # the webhook has no such limit


def test_one_page_is_shown_a_bounded_number_of_codes(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    desk = app.test_client()
    assert len({_code(page(desk, "/console/login")[1]) for _ in range(12)}) == 1  # reloads: the same code
    codes = set()
    for _ in range(10):  # the reloads' code, then nine new ones
        codes.add(_code(page(desk, "/console/login")[1]))
        with desk.session_transaction() as session:
            session["code_at"] = 0  # as if the code had run out: the next load shows a new one
    assert len(codes) == 10
    assert desk.get("/console/login").status_code == 429  # an eleventh code for this page
    assert app.test_client().get("/console/login").status_code == 200  # another page is not affected


def test_a_trusted_proxy_gives_the_clients_address(rt: Runtime, people: dict[str, str]) -> None:
    import dataclasses

    from bot.dispatch import Bot
    from webhooks.app import create_app

    for hops, expected in ((0, "127.0.0.1"), (1, "203.0.113.7")):
        app = create_app(bot=Bot(rt.with_changes(settings=dataclasses.replace(rt.settings, trusted_proxies=hops))))
        client = app.test_client()
        log_in(client, rt, CHIEF)
        with client.session_transaction() as session:
            token = session["csrf"]
        client.post(f"/console/tickets/{people['光明胡同']}/message", data={"csrf": token, "text": f"第{hops}次"},
                    headers={"X-Forwarded-For": "203.0.113.7"})
        assert audited(rt)[0].ip == expected


def test_odd_input_gets_an_answer_not_a_fault(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    client = app.test_client()
    log_in(client, rt, STAFF)
    for query in ("q=%00", "q=" + "长" * 500, "page=-3", "page=abc", "order=drop", "alley=%00"):
        assert client.get(f"/console/tickets?{query}").status_code == 200, query
    assert client.get("/console/tickets/%00").status_code == 404


def test_every_console_page_is_closed_to_the_logged_out_and_to_residents(app: Flask, rt: Runtime,
                                                                         people: dict[str, str]) -> None:
    """Walks the app's own URL map, so a page added later is checked too."""
    ticket = people["光明胡同"]
    values = {"ticket": ticket, "photo_id": 1, "poll_id": 1, "broadcast_id": 1, "name": "光明胡同",
              "template_id": 1, "claim_id": 1, "patrol_id": 1, "redemption_id": 1, "action": "accept"}
    open_pages = {"console.login", "console.login_status", "console.login_link", "console.logout"}
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")
             and r.endpoint not in open_pages]
    assert len(rules) > 30
    logged_out, resident = app.test_client(), app.test_client()
    log_in(resident, rt, STAFF)
    rt.accounts.grant_role(STAFF, "resident", None)  # the role revoked: the session is a resident's now
    assert resident.get("/console/tickets").status_code == 403
    for rule in rules:
        path = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]  # type: ignore[index]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            res = logged_out.open(path, method=method)
            assert res.status_code in (302, 400), (method, path, res.status_code)
            if res.status_code == 302:
                assert res.headers["Location"].endswith("/console/login"), (method, path)
            # The first request after the revocation is refused (403) and ends the session; then it is a
            # logged-out visitor's (302 to the login page). Either way: nothing of the page.
            refused = resident.open(path, method=method)
            assert refused.status_code in (302, 400, 403), (method, path, refused.status_code)
            assert ticket not in refused.get_data(as_text=True) or refused.status_code == 302
    assert rt.issues.show(ticket).status == "received"  # nothing anyone tried changed anything


def test_every_console_page_renders_for_staff_with_a_plain_title(app: Flask, rt: Runtime,
                                                                 people: dict[str, str]) -> None:
    """Every GET page of the URL map, as staff: it renders (or answers 404 for an id that is not there), and
    its <title> is text (a template block that swallowed markup once hid a whole section there)."""
    values = {"ticket": people["东斜街"], "photo_id": 1, "poll_id": 1, "broadcast_id": 1, "name": "东斜街",
              "template_id": 1, "claim_id": 1, "patrol_id": 1, "redemption_id": 1, "action": "accept"}
    staff = app.test_client()
    log_in(staff, rt, STAFF)
    pages = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("console.") and "GET" in r.methods
             and r.endpoint not in ("console.login_link", "console.login")]
    for rule in pages:
        path = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]  # type: ignore[index]
        res = staff.get(path)
        assert res.status_code in (200, 404), (path, res.status_code)
        if res.mimetype == "text/html":
            title = res.get_data(as_text=True).split("<title>")[1].split("</title>")[0]
            assert "<" not in title and "{" not in title, (path, title)
