"""Dialogue state: JSON-safe, TTL, expiry noticed once, one lock holder per user."""

import time

import fakeredis
import pytest
from redis.exceptions import LockError

from bot.core.dialogue import DialogueStore, FlowState


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
