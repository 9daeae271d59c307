"""What a message costs in round trips, through the real app (signature, nonce, dedupe, lock, state, arrival,
routing, reply): a message that changes nothing takes two Redis round trips and one database transaction.
Fails when a change adds a round trip (docs/benchmarks.md keeps the budget)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from bot.accounts import inbox as inbox_module
from bot.accounts import texts as account_texts
from bot.accounts.inbox import Inbox
from bot.core.db import make_engine, uow_factory
from bot.core.models import Base
from bot.runtime import Runtime
from bot.simulator import Simulator
from bot.wechat.signing import text_xml
from tests.people import uid
from tests.roundtrips import Trips, counting

# Messages that change no data: small talk, help, a parking question, a poll when there is none, a menu click.
READ_ONLY = [("text", "你好"), ("text", "帮助"), ("text", "路边停车怎么收费"), ("text", "满意度调查"),
             ("menu", "HELP"), ("text", "谢谢")]


def _send(chat: Simulator, kind: str, words: str) -> str | None:
    return chat.menu(words) if kind == "menu" else chat.text(words)


@pytest.fixture()
def quiet_flusher(monkeypatch: pytest.MonkeyPatch) -> None:
    """The outcome writer thread waits longer than a test: what is counted is the message's own work."""
    monkeypatch.setattr(inbox_module, "FLUSH_SECONDS", 60.0)


@pytest.mark.parametrize(("kind", "words"), READ_ONLY)
def test_a_message_that_changes_nothing_costs_two_redis_trips_and_one_transaction(
        chat: Simulator, rt: Runtime, quiet_flusher: None, monkeypatch: pytest.MonkeyPatch, kind: str,
        words: str) -> None:
    chat.text("你好")  # the user exists: a first message also creates them
    with counting(monkeypatch) as trips:
        reply = _send(chat, kind, words)
    assert reply and reply != account_texts.APOLOGY
    _within_budget(trips, redis=2, transactions=1)
    # The outcome was written with this message's arrival or is held for the next: nothing is lost.
    assert [e.outcome for e in rt.inbox.entries(chat.openid)] == ["handled", "handled"]


@pytest.mark.parametrize("words", ["我住光明胡同儿", "/subscribe qrscene_东斜街"])
def test_binding_an_alley_is_one_statement_beside_the_arrival(chat: Simulator, rt: Runtime, quiet_flusher: None,
                                                             monkeypatch: pytest.MonkeyPatch, words: str) -> None:
    # Every 我住… and every new follower by an alley's QR code: the user row is written by one statement, the
    # alley known in memory (it cost a read of the user with both alleys, a read of the alley and an update).
    chat.text("我住西斜街")  # the process reads the alleys once, at its first need
    with counting(monkeypatch) as arrival_only:
        chat.text("你好")
    with counting(monkeypatch) as trips:
        reply = chat.subscribe("东斜街") if words.startswith("/subscribe") else chat.text(words)
    alley = "东斜街" if words.startswith("/subscribe") else "光明胡同"
    assert reply and alley in reply
    assert rt.accounts.get(chat.openid).home_alley == alley  # type: ignore[union-attr]
    _within_budget(trips, redis=2, transactions=2)
    assert trips.sql <= arrival_only.sql + 1, trips.statements
    assert trips.commands == [], trips.commands  # it commits alone: no BEGIN and COMMIT round trips around it


def test_a_new_report_is_one_transaction_of_nine_statements(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    # Logged under a lock on its alley's row (two neighbours reporting the same thing become one ticket), so the
    # fewer statements, the shorter the lock: the retry check, the reporter, the hourly limit in one count, the
    # lock, the same open problem, the handlers, the row, its ticket number and its first event.
    # What follows the commit (the chief's notification: queued, or run inline without Redis) is not the report.
    reporter = uid(rt, "o_reporter")
    rt.issues.report(reporter, "src-warm", "东斜街", "sanitation", "垃圾没人收")
    with counting(monkeypatch) as trips:
        logged = rt.issues.report(reporter, "src-1", "光明胡同", "facility_damage", "路灯坏了")
    assert logged.issue is not None and logged.issue.ticket and logged.issue.reporter == "o_reporter"
    assert rt.issues.show(logged.issue.ticket).handler_openid == logged.issue.handler_openid
    report = trips.transaction(1)
    assert [st.split()[2] for st in report if st.startswith("INSERT")] == ["issues", "issue_events"], report
    assert len(report) <= 9, report


def test_the_outcomes_of_earlier_messages_ride_with_the_next_arrival(chat: Simulator, rt: Runtime,
                                                                     quiet_flusher: None,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    chat.text("你好")
    chat.text("帮助")
    with counting(monkeypatch) as trips:
        chat.text("谢谢")
    _within_budget(trips, redis=2, transactions=1)
    assert [e.outcome for e in rt.inbox.entries(chat.openid)] == ["handled"] * 3


def test_an_inbox_never_takes_the_outcomes_held_for_another_database(chat: Simulator, rt: Runtime,
                                                                     quiet_flusher: None, tmp_path: Path) -> None:
    # An earlier runtime's writer thread, awake beside this one (tests), once wrote this one's outcome into its
    # own database, where no row matched: the message stayed "processing" for good.
    url = f"sqlite:///{tmp_path / 'other.db'}"
    other_engine = make_engine(url)
    Base.metadata.create_all(other_engine)
    other = Inbox(uow_factory(url, other_engine))
    chat.text("你好")
    assert other.flush() == 0  # this runtime's held outcome is not the other inbox's to write
    assert [e.outcome for e in rt.inbox.entries(chat.openid)] == ["handled"]
    other_engine.dispose()


def test_a_retry_is_answered_from_redis_alone(app: Flask, rt: Runtime, quiet_flusher: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    chat = Simulator(app, "o_retry")
    chat.text("你好")
    delivery = text_xml(chat.openid, "谢谢")
    first = chat.post(delivery)
    with counting(monkeypatch) as trips:
        again = chat.post(delivery)  # WeChat's retry: the same message, signed anew
    assert again == first == account_texts.THANKS
    _within_budget(trips, redis=1, transactions=0)


def _within_budget(trips: Trips, redis: int, transactions: int) -> None:
    assert len(trips.redis) <= redis, trips.redis
    assert trips.transactions <= transactions, trips.statements
