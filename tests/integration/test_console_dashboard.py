"""概览: the counts, handling times and ratings of the alleys in scope, counted in SQL on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask

from bot.runtime import Runtime
from tests.console_people import CHIEF, RESIDENT, STAFF, log_in
from tests.people import uid

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


def _report(rt: Runtime, key: str, alley: str, category: str, when: datetime, openid: str = RESIDENT,
            **extra: float) -> str:
    logged = rt.issues.report(uid(rt, openid), key, alley, category, f"{alley} {category}", now=when, **extra)
    assert logged.issue is not None
    return logged.issue.ticket


def test_the_dashboard_counts_within_the_scope(rt: Runtime, people: dict[str, str]) -> None:
    chief = uid(rt, CHIEF)
    october = _report(rt, "d-oct", "光明胡同", "illegal_parking", NOW - timedelta(days=30), lat=39.9097, lng=116.378)
    rt.issues.act(chief, october, "resolve", note="已挪走")
    late = _report(rt, "d-late", "光明胡同", "sanitation", NOW - timedelta(days=400))  # outside the trend
    rt.issues.act(chief, late, "accept")
    rt.issues.rate(uid(rt, RESIDENT), october, 3)
    board = rt.issue_stats.dashboard(["光明胡同"], now=NOW)
    assert board.total == 3  # the fixture's ticket, october, late; 东斜街 and 福光路 are out of scope
    assert board.by_status == {"received": 1, "resolved": 1, "accepted": 1}
    assert board.by_category["illegal_parking"] == {"resolved": 1}
    assert board.by_alley == {"光明胡同": {"open": 2, "closed": 1}}
    months = dict((m, (r, d)) for m, r, d in board.by_month)
    assert len(board.by_month) == 12 and board.by_month[-1][0] == "2026-11" and board.by_month[0][0] == "2025-12"
    assert months["2026-10"] == (1, 0)  # reported in October (Beijing), resolved now: November's
    assert months["2026-11"][1] == 1
    assert board.ratings == {3: 1}
    assert board.overdue == 1  # the one reported 400 days ago, still open
    assert board.heat == [(39.9097, 116.378)]
    simple = next(h for h in board.handling if h.triage == "简易")  # 乱停车 is 简易类
    assert simple.resolved == 1 and simple.median_days is not None and simple.median_days > 1
    assert simple.on_time == 0  # one day promised, a month taken


def test_the_overview_page_shows_the_numbers_and_nothing_outside(app: Flask, rt: Runtime,
                                                                people: dict[str, str]) -> None:
    late = _report(rt, "ov-late", "东斜街", "sanitation", NOW - timedelta(days=30), "o_late_reporter")
    client = app.test_client()
    log_in(client, rt, STAFF)
    body = client.get("/console/").get_data(as_text=True)
    assert "共 3 件工单" in body and "堆物堆料" in body and "道路破损" in body
    assert "超期未办结" in body and f">{late}</a>" in body.split("超期未办结")[2]  # the overdue list itself
    assert 'id="chart-data"' in body and 'id="map-data"' in body and "vendor/echarts.min.js" in body
    log_in(client, rt, CHIEF)
    assert "共 1 件工单" in client.get("/console/").get_data(as_text=True)


def test_the_libraries_are_served_by_the_app(client: Flask) -> None:
    for path in ("vendor/echarts.min.js", "vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.markercluster.js",
                 "vendor/leaflet/leaflet.css", "vendor/htmx.min.js"):
        res = client.get(f"/static/{path}")  # type: ignore[attr-defined]
        assert res.status_code == 200 and len(res.data) > 1000, path


def test_the_list_on_a_map_keeps_the_filters_and_the_scope(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    import json

    here = _report(rt, "m-1", "光明胡同", "ground_lock", NOW, "o_map_1", lat=39.9097, lng=116.3790)
    _report(rt, "m-2", "东斜街", "sanitation", NOW, "o_map_2", lat=39.9150, lng=116.3700)
    _report(rt, "m-3", "福光路", "sanitation", NOW, "o_map_3", lat=39.8800, lng=116.4300)  # another street office
    client = app.test_client()
    log_in(client, rt, STAFF)

    def points(query: str) -> list[str]:
        body = client.get(f"/console/tickets/map?{query}").get_data(as_text=True)
        data = json.loads(body.split('id="map-data">')[1].split("</script>")[0])
        return sorted(p["ticket"] for p in data["points"])

    assert len(points("")) == 2 and here in points("")
    assert points("category=ground_lock") == [here]
    assert points("alley=福光路") == []
    assert client.get("/console/tickets/map?since=not-a-day").status_code == 400
