"""Redis connection: a real server when ``REDIS_URL`` is set, else fakeredis inside this one process."""

from __future__ import annotations

import redis

# One in-process fake server per process, so every component of the embedded default shares its state.
_FAKE: redis.Redis | None = None


def connect(url: str | None) -> redis.Redis:
    global _FAKE
    if url:
        return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3, health_check_interval=30)
    if _FAKE is None:
        import fakeredis

        _FAKE = fakeredis.FakeRedis()
    return _FAKE
