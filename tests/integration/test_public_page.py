"""/alleys/<name>: the public 街巷公示 page shows who is responsible and what was done, never who reported."""

from __future__ import annotations

import io

from flask import Flask
from PIL import Image

from bot.runtime import Runtime
from tests.console_people import log_in
from tests.integration.test_console_actions import _csrf
from tests.people import uid

CHIEF = "o_chief_public"
REPORTER = "o_reporter_secret_7788"


def _photo() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), "blue").save(buf, "PNG")
    buf.seek(0)
    return buf


def test_the_page_shows_the_chief_and_the_published_work_and_nothing_of_the_reporter(app: Flask,
                                                                                    rt: Runtime) -> None:
    rt.accounts.grant_role(CHIEF, "chief", "光明胡同")
    words = f"我是3号院的张三，电话13912345678，微信{REPORTER}，门口堆了杂物"
    shown = rt.issues.report(uid(rt, REPORTER), "pub-1", "光明胡同", "piled_materials", words).issue
    hidden = rt.issues.report(uid(rt, "o_other_reporter"), "pub-2", "光明胡同", "sanitation", "垃圾桶满了").issue
    assert shown is not None and hidden is not None
    chief = app.test_client()
    log_in(chief, rt, CHIEF)
    assert chief.post(f"/console/tickets/{shown.ticket}/publish", data={"csrf": _csrf(chief)}).status_code == 409
    chief.post(f"/console/tickets/{shown.ticket}/resolve", data={"csrf": _csrf(chief), "note": "杂物已清运",
                                                                "photos": [(_photo(), "after.png")]},
               content_type="multipart/form-data")
    rt.issues.act(uid(rt, CHIEF), hidden.ticket, "resolve", note="已清理")
    assert chief.post(f"/console/tickets/{shown.ticket}/publish", data={"csrf": _csrf(chief)}).status_code == 303

    res = app.test_client().get("/alleys/光明胡同儿")  # no login; 儿化 as residents write it
    page = res.get_data(as_text=True)
    assert res.status_code == 200 and res.headers["Cache-Control"] == "public, max-age=300"
    assert "王立新" in page and "010-66026551" in page and "知情" in page
    assert "杂物已清运" in page and "已清理" not in page  # only what the chief chose to show
    for secret in (REPORTER, "张三", "13912345678", "3号院", words, "o_other_reporter", CHIEF, "垃圾桶满了"):
        assert secret not in page, secret
    after = rt.issues.show(shown.ticket).photos[0]
    assert app.test_client().get(f"/alleys/光明胡同/photos/{after.id}?size=thumb").status_code == 200
    other = rt.issues.show(hidden.ticket)
    assert all(app.test_client().get(f"/alleys/光明胡同/photos/{p.id}").status_code == 404 for p in other.photos)
    assert app.test_client().get(f"/alleys/东斜街/photos/{after.id}").status_code == 404  # not that alley's
    assert app.test_client().get("/alleys/没有这条胡同").status_code == 404
    assert chief.post(f"/console/tickets/{shown.ticket}/unpublish", data={"csrf": _csrf(chief)}).status_code == 303
    assert "杂物已清运" not in app.test_client().get("/alleys/光明胡同").get_data(as_text=True)


def test_the_printable_sign_carries_the_alleys_qr_code(app: Flask, rt: Runtime, fake_wechat: object) -> None:
    page = app.test_client().get("/alleys/东斜街?print=1").get_data(as_text=True)
    assert "东斜街" in page and "联系电话" in page and "职责" in page and "最近办结" not in page
    assert "<svg" in page and "关注并绑定东斜街" in page and "<script" not in page
    created = [c for c in fake_wechat.calls("qrcode/create")]  # type: ignore[attr-defined]
    assert len(created) == 1 and created[0].body["action_info"]["scene"]["scene_str"] == "东斜街"
    assert created[0].body["action_name"] == "QR_LIMIT_STR_SCENE"  # permanent: printed once, scanned for years
    app.test_client().get("/alleys/东斜街?print=1")
    assert len(fake_wechat.calls("qrcode/create")) == 1  # type: ignore[attr-defined]  # asked once, kept
    fake_wechat.inject("qrcode/create", errcode=-1, times=5)  # type: ignore[attr-defined]
    down = app.test_client().get("/alleys/府右街?print=1").get_data(as_text=True)
    assert "二维码暂时无法生成" in down and "府右街" in down  # the sign still prints, without the code
