"""The console in a real browser: Debian's Chromium driven by Playwright, the app served on loopback.

A chief opens the link 工作台 sent them, sees the overview, filters the tickets, opens one; the pages load only
what the app serves (a CSP violation or a failed request fails the test). Screenshots go to the test's
directory, or to ALLEYBOT_SCREENSHOTS (docs/console.md uses them).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from flask import Flask
from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

from bot.accounts import texts as account_texts
from bot.runtime import Runtime
from bot.simulator import Simulator
from tests.console_people import CHIEF, STAFF

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture()
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture()
def expected_failures() -> list[str]:
    return []


@pytest.fixture()
def page(tmp_path: Path, expected_failures: list[str]) -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), "Debian's chromium package is needed (.ci/run installs it)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        problems: list[str] = []
        tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        # (a favicon still loading when the test ends is aborted by the browser closing: not a fault)
        tab.on("requestfailed", lambda r: None if r.url.endswith("/favicon.svg") and "ABORTED" in (r.failure or "")
               else problems.append(f"failed: {r.url} {r.failure}"))
        tab.on("pageerror", lambda e: problems.append(f"script error: {e}"))  # uncaught: not a console message
        yield tab
        browser.close()
        assert [p for p in problems if not any(e in p for e in expected_failures)] == [], problems


def shot(page: Page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("ALLEYBOT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_a_chief_logs_in_by_link_filters_and_opens_a_ticket(served: str, page: Page, rt: Runtime,
                                                            people: dict[str, str], tmp_path: Path) -> None:
    link = rt.console_logins.link(rt.accounts.get(CHIEF))  # type: ignore[arg-type]
    page.goto(served + urlparse(link).path)
    assert page.url == served + "/console/"
    assert page.locator("h1").inner_text() == "概览" and "光明胡同" in page.inner_text("main")
    for drawn in ("#trend-chart", "#category-chart", "#heat-map"):  # ECharts and Leaflet, from the app itself
        page.wait_for_selector(f"{drawn}[data-drawn=true]", timeout=5000)
    assert page.locator("#heat-map path.leaflet-interactive").count() == 1  # 光明胡同's line
    shot(page, tmp_path, "overview")
    page.click("text=工单")
    page.select_option("select[name=status]", "received")
    page.click("button:has-text('筛选')")
    page.wait_for_url("**/console/tickets?*status=received*")
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 1 and people["光明胡同"] in rows.first.inner_text()
    shot(page, tmp_path, "tickets")
    page.click(f"text={people['光明胡同']}")
    page.wait_for_url(f"**/console/tickets/{people['光明胡同']}")
    assert page.locator("h1").inner_text().startswith(f"工单 {people['光明胡同']}")
    assert "光明胡同的问题" in page.inner_text("main")
    shot(page, tmp_path, "ticket")
    page.click("button:has-text('退出')")
    page.wait_for_url("**/console/login")
    page.wait_for_load_state("load")  # the login page itself, before the browser closes
    assert page.locator("h1").inner_text() == "登录街道工作台"


def test_a_used_link_says_so_in_the_browser(served: str, page: Page, rt: Runtime, people: dict[str, str],
                                            expected_failures: list[str]) -> None:
    link = urlparse(rt.console_logins.link(rt.accounts.get(CHIEF))).path  # type: ignore[arg-type]
    assert rt.console_logins.redeem(link.rsplit("/", 1)[1]) is not None  # someone used it already
    response = page.goto(served + link)
    assert response is not None and response.status == 410
    expected_failures.append("status of 410")  # the page itself answers Gone: that is the point
    assert "这个登录链接已经失效" in page.inner_text("main")


def test_a_desktop_logs_in_by_a_code_sent_from_wechat(served: str, page: Page, app: Flask, rt: Runtime,
                                                      people: dict[str, str], tmp_path: Path) -> None:
    page.goto(served + "/console/tickets")  # not logged in: the login page, with its code
    page.wait_for_url("**/console/login")
    code = page.locator(".code strong").inner_text()
    assert len(code) == 6 and code.isdigit()
    shot(page, tmp_path, "login")
    assert Simulator(app, CHIEF).text(f"登录 {code}") == account_texts.CONSOLE_CODE_DONE
    page.wait_for_url("**/console/", timeout=5000)  # the page notices by itself (it asks every 1.5 s)
    assert page.locator("h1").inner_text() == "概览"


def test_a_chief_resolves_a_ticket_with_a_photo_from_the_desktop(served: str, page: Page, rt: Runtime,
                                                                 people: dict[str, str], tmp_path: Path) -> None:
    from PIL import Image

    ticket = people["光明胡同"]
    photo = tmp_path / "after.jpg"
    Image.new("RGB", (800, 600), (90, 140, 60)).save(photo, "JPEG")
    link = rt.console_logins.link(rt.accounts.get(CHIEF))  # type: ignore[arg-type]
    page.goto(served + urlparse(link).path)
    page.goto(f"{served}/console/tickets/{ticket}")
    page.click("form[action$='/accept'] button")
    page.wait_for_selector("text=已受理，居民会收到通知")
    resolve = page.locator("form.resolve")
    resolve.locator("textarea[name=note]").fill("堆物已清运，路面已冲洗")
    resolve.locator("input[type=file]").set_input_files(str(photo))
    resolve.locator("button").click()
    page.wait_for_selector("text=已办结，居民会收到通知并被请求评价")
    assert "已办结" in page.locator("h1").inner_text()
    thumbnail = page.locator("img[alt^='处理后的照片']")
    assert thumbnail.count() == 1
    thumbnail.evaluate("img => img.decode()")  # loaded from the app, under its CSP
    assert thumbnail.evaluate("img => img.naturalWidth") > 0
    assert "办结：堆物已清运，路面已冲洗" in page.inner_text("ol.history")
    shot(page, tmp_path, "ticket-resolved")
    assert rt.issues.show(ticket).status == "resolved"


def test_staff_compose_and_send_a_notice_and_watch_it_go_out(served: str, page: Page, rt: Runtime,
                                                              people: dict[str, str], tmp_path: Path,
                                                              run_jobs: Callable[[], None]) -> None:
    for n in range(2):
        rt.accounts.bind_alley(f"o_reader_{n}", "东斜街")
        rt.accounts.seen(f"o_reader_{n}")
    link = rt.console_logins.link(rt.accounts.get(STAFF))  # type: ignore[arg-type]
    page.goto(served + urlparse(link).path)
    page.click("nav >> text=通知")
    page.check("input[name=alley][value=东斜街]")
    page.fill("textarea[name=text]", "周日上午东斜街停水，请提前储水。")
    shot(page, tmp_path, "broadcast-compose")
    page.click("button:has-text('预览')")
    assert page.locator(".audience").inner_text() == "3 人"  # two residents and the staff member bound there
    page.click("button:has-text('确认发送')")
    page.wait_for_url("**/console/broadcasts/*")
    run_jobs()  # the worker sends; the report refreshes itself (htmx) until nothing is pending
    page.wait_for_selector("#report[data-pending='0']", timeout=10000)
    assert page.locator("[data-key=sent]").inner_text() == "3"
    assert "发送完毕" in page.inner_text("#report")
    shot(page, tmp_path, "broadcast-report")


def test_on_a_phone_the_pages_fit_the_screen(served: str, page: Page, rt: Runtime, people: dict[str, str],
                                             tmp_path: Path) -> None:
    page.set_viewport_size({"width": 375, "height": 740})  # WeChat's in-app browser on a small phone
    link = rt.console_logins.link(rt.accounts.get(CHIEF))  # type: ignore[arg-type]
    page.goto(served + urlparse(link).path)
    for path, name in (("/console/", "phone-overview"), ("/console/tickets", "phone-tickets"),
                       (f"/console/tickets/{people['光明胡同']}", "phone-ticket")):
        page.goto(served + path)
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide: it scrolls sideways on a phone"
        shot(page, tmp_path, name)
