"""管家 at the desk: applications, patrol confirmation, the board, redemptions, the month's report: in scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask

from bot.runtime import Runtime
from tests.console_people import CHIEF, OTHER_STAFF, audited, log_in
from tests.integration.test_console_actions import _csrf
from tests.people import uid


def test_a_chief_runs_the_stewards_of_their_alley(app: Flask, rt: Runtime, people: dict[str, str]) -> None:
    applicant, other = uid(rt, "o_applicant"), uid(rt, "o_applicant_2")
    claim = rt.stewards.apply(applicant, "光明胡同", "张阿姨", "13900000000")
    elsewhere = rt.stewards.apply(other, "福光路", "赵大爷")
    chief = app.test_client()
    log_in(chief, rt, CHIEF)
    page = chief.get("/console/stewards").get_data(as_text=True)
    assert "张阿姨" in page and "赵大爷" not in page  # 福光路 is another street office's
    res = chief.post(f"/console/stewards/applications/{claim.id}", data={"csrf": _csrf(chief), "decision": "approve"})
    assert res.status_code == 303 and rt.stewards.claim(claim.id).status == "approved"  # type: ignore[union-attr]
    assert chief.post(f"/console/stewards/applications/{elsewhere.id}",
                      data={"csrf": _csrf(chief), "decision": "approve"}).status_code == 404
    assert rt.stewards.claim(elsewhere.id).status == "pending"  # type: ignore[union-attr]

    patrol = rt.patrols.checkin(applicant, "光明胡同", 40, visits=2, fixes=1, key="p-1")  # no location
    assert patrol.verified_by is None
    page = chief.get("/console/stewards").get_data(as_text=True)
    assert "40 分钟" in page and f"/console/stewards/patrols/{patrol.id}/confirm" in page
    assert chief.post(f"/console/stewards/patrols/{patrol.id}/confirm", data={"csrf": _csrf(chief)}).status_code == 303
    paid = rt.patrols.balance(applicant)
    assert paid > 0
    chief.post(f"/console/stewards/patrols/{patrol.id}/confirm", data={"csrf": _csrf(chief)})  # twice: paid once
    assert rt.patrols.balance(applicant) == paid
    page = chief.get("/console/stewards").get_data(as_text=True)
    assert "张阿姨" in page.split("积分榜")[1] and "月报" in page

    for day in range(1, 4):  # three more days' patrols, confirmed: enough for a 理发券 (40 points)
        earlier = rt.patrols.checkin(applicant, "光明胡同", 40, visits=2, fixes=1, key=f"p-{day + 1}",
                                     now=datetime.now(UTC) - timedelta(days=day))
        chief.post(f"/console/stewards/patrols/{earlier.id}/confirm", data={"csrf": _csrf(chief)})
    paid = rt.patrols.balance(applicant)
    assert paid >= 40
    reserved = rt.rewards.redeem(applicant, "haircut", "r-1")
    assert rt.patrols.balance(applicant) == paid - 40
    page = chief.get("/console/stewards").get_data(as_text=True)
    assert "理发券" in page.split("待发放的兑换")[1]
    assert chief.post(f"/console/stewards/redemptions/{reserved.id}",
                      data={"csrf": _csrf(chief), "decision": "cancel"}).status_code == 303
    assert rt.patrols.balance(applicant) == paid  # points back
    assert [e.action for e in audited(rt)] == ["redeem_cancel", *["patrol_confirm"] * 5,
                                                               "steward_approve"]
    from bot.core.clock import BEIJING

    report = chief.get(f"/console/stewards/report.csv?month={datetime.now(BEIJING).strftime('%Y-%m')}")
    lines = report.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("管家,胡同") and any(line.startswith("张阿姨,光明胡同") for line in lines[1:])
    assert "o_applicant" not in report.get_data(as_text=True)
    assert chief.get("/console/stewards/report.csv?month=2026-13").status_code == 400
    stranger = app.test_client()
    log_in(stranger, rt, OTHER_STAFF)
    assert "张阿姨" not in stranger.get("/console/stewards").get_data(as_text=True)
    assert stranger.post(f"/console/stewards/patrols/{patrol.id}/confirm",
                         data={"csrf": _csrf(stranger)}).status_code == 404
