"""The people and tickets of the console tests: a chief, staff of two street offices, a resident, three tickets."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from flask.testing import FlaskClient

from bot.accounts.audit_log import AuditView
from bot.runtime import Runtime
from tests.people import uid

CHIEF, STAFF, OTHER_STAFF, RESIDENT = "o_chief_gm", "o_staff_xca", "o_staff_tyg", "o_resident_1"


@pytest.fixture()
def people(rt: Runtime) -> dict[str, str]:
    """Tickets in 光明胡同 and 东斜街 (西长安街街道) and 福光路 (体育馆路街道); a chief, two staff, a resident."""
    rt.accounts.grant_role(CHIEF, "chief", "光明胡同")
    rt.accounts.grant_role(STAFF, "staff", "东斜街")  # staff of 西长安街街道
    rt.accounts.grant_role(OTHER_STAFF, "staff", "福光路")  # staff of 体育馆路街道
    for openid in (CHIEF, STAFF, OTHER_STAFF):
        rt.accounts.seen(openid)  # inside the 48-hour window: new tickets are pushed, not held for their replies
    tickets = {}
    for alley, category in (("光明胡同", "piled_materials"), ("东斜街", "road_damage"), ("福光路", "sanitation")):
        logged = rt.issues.report(uid(rt, RESIDENT), f"src-{alley}", alley, category, f"{alley}的问题")
        assert logged.issue is not None
        tickets[alley] = logged.issue.ticket
    return tickets


def log_in(client: FlaskClient, rt: Runtime, openid: str) -> None:
    account = rt.accounts.get(openid)
    assert account is not None
    res = client.get(urlparse(rt.console_logins.link(account)).path)
    assert res.status_code == 302 and res.headers["Location"].endswith("/console/")


def audited(rt: Runtime) -> list[AuditView]:
    """The audit log's entries, newest first, without the logins and logouts every console test makes."""
    return [e for e in rt.audit_log.recent(None) if e.action not in ("login", "logout")]
