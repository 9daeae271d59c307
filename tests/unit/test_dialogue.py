"""Dialogue state: JSON-safe, TTL, expiry noticed once, one lock holder per user."""

import dataclasses
import time

import fakeredis
import pytest
from redis.exceptions import LockError

from bot.core.dialogue import DialogueStore, FlowState
from bot.handlers.steward import CheckinDraft


@pytest.fixture()
def store() -> DialogueStore:
    return DialogueStore(fakeredis.FakeRedis(), ttl_seconds=60)


def test_round_trip_and_clear(store: DialogueStore) -> None:
    store.save("o1", FlowState("bind_alley", "ask_alley", {"offered": ["光明胡同"]}))
    assert store.load("o1") == (FlowState("bind_alley", "ask_alley", {"offered": ["光明胡同"]}), False)
    store.clear("o1")
    assert store.load("o1") == (None, False)


def test_state_that_is_not_json_safe_is_refused(store: DialogueStore) -> None:
    with pytest.raises(TypeError):
        store.save("o1", FlowState("f", "s", {"when": object()}))


def test_expiry_is_reported_once() -> None:
    client = fakeredis.FakeRedis()
    store = DialogueStore(client, ttl_seconds=1)
    store.save("o1", FlowState("bind_alley", "ask_alley"))
    time.sleep(1.2)
    assert store.load("o1") == (None, True)
    assert store.load("o1") == (None, False)


def test_the_user_lock_is_exclusive(store: DialogueStore) -> None:
    first = store.lock("o1", wait=0.1)
    assert first.acquire()
    second = store.lock("o1", wait=0.1)
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()
    with pytest.raises(LockError):
        second.release()


def test_an_expired_user_lock_does_not_fail_finished_work() -> None:
    client = fakeredis.FakeRedis()
    store = DialogueStore(client, ttl_seconds=60)
    with store.user_lock("o1", timeout=0.2):
        client.delete("alleybot:lock:user:o1")  # expired (or Redis restarted) while the message was handled
    with store.user_lock("o1"):  # and the user is not locked out afterwards
        pass


def test_a_busy_user_lock_raises_after_the_wait() -> None:
    store = DialogueStore(fakeredis.FakeRedis(), ttl_seconds=60)
    with store.user_lock("o1"), pytest.raises(LockError), store.user_lock("o1", wait=0.1):
        pass


def test_flow_data_reads_back_typed_and_survives_a_release_that_changed_its_fields(store: DialogueStore) -> None:
    draft = CheckinDraft(alleys=["光明胡同"], alley="光明胡同", minutes=40, visits=3, lat=39.9, lng=116.4)
    store.save("o1", FlowState("checkin", "confirm", draft.to_dict()))
    state, _ = store.load("o1")
    assert state is not None and CheckinDraft.from_dict(state.data) == draft
    # Saved by an older release: a field it did not have takes its default; one it had and we dropped is ignored.
    older = {"alleys": ["光明胡同"], "alley": "光明胡同", "minutes": 40, "earlier": [30, 1, 0, None]}
    assert CheckinDraft.from_dict(older) == CheckinDraft(alleys=["光明胡同"], alley="光明胡同", minutes=40)


def test_flow_data_is_copied_into_the_state_not_shared_with_it() -> None:
    # A handler that changes its draft after moving the flow on must not change what was saved.
    from bot.handlers.report import ReportDraft

    draft = ReportDraft(photos=["m1"], offered=["光明胡同", "东斜街"])
    saved = draft.to_dict()
    draft.photos.append("m2")
    assert saved["photos"] == ["m1"] and saved == {**dataclasses.asdict(draft), "photos": ["m1"]}
    assert ReportDraft.from_dict(saved) == ReportDraft(photos=["m1"], offered=["光明胡同", "东斜街"])
