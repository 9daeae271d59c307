"""The broadcast send rate is shared by every worker: a second worker's sends count against the same second."""

from __future__ import annotations

import time

import fakeredis

from bot.broadcasts.service import RateLimiter


def test_workers_sharing_redis_share_one_budget_per_second() -> None:
    client = fakeredis.FakeRedis()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    first, second = RateLimiter(client, 5, sleep), RateLimiter(client, 5, sleep)
    # Start at the beginning of a second, so the five sends below fall into one window.
    time.sleep(1 - time.time() % 1 + 0.01)
    for limiter in (first, second, first, second, first):
        limiter.wait()
    assert slept == []
    second.wait()  # the sixth send of the second waits for the next one, whichever worker asks
    assert len(slept) >= 1 and 0 < sum(slept) <= 1.0


def test_a_batch_counts_as_its_sends() -> None:
    client = fakeredis.FakeRedis()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    limiter = RateLimiter(client, 10, sleep)
    time.sleep(1 - time.time() % 1 + 0.01)
    limiter.wait(8)
    assert slept == []
    limiter.wait(3)  # 11 > 10 in this second: waits for the next
    assert slept
