"""Replay protection for callbacks: a nonce seen within the freshness window must come with the same body.

In plaintext mode WeChat signs only (token, timestamp, nonce), not the body: a callback URL copied from a log
would otherwise carry any forged body for as long as its timestamp is fresh. A WeChat retry of the same message
repeats the same body and passes; another body under a seen nonce is refused. Nonces live in Redis, shared
by every worker, for the freshness window.
"""

from __future__ import annotations

import hashlib

import redis

from bot.wechat.protocol import FRESH_SECONDS, ProtocolError


class ReplayGuardDown(Exception):
    """The nonce store is unreachable: the callback cannot be checked, so it is not accepted."""


class ReplayGuard:
    def __init__(self, client: redis.Redis, prefix: str = "alleybot:nonce") -> None:
        self._r = client
        self._prefix = prefix

    def check(self, nonce: str, timestamp: str, body: bytes) -> None:
        if not nonce:
            raise ProtocolError(403, "nonce missing")
        digest = hashlib.sha256(body).hexdigest()
        key = f"{self._prefix}:{timestamp}:{nonce}"
        try:
            # Twice the window: a timestamp at the edge of it stays remembered until it can no longer pass.
            if self._r.set(key, digest, nx=True, ex=2 * FRESH_SECONDS):
                return
            seen = self._r.get(key)
        except redis.RedisError as exc:
            raise ReplayGuardDown(str(exc)) from exc
        if seen is not None and (seen.decode() if isinstance(seen, bytes) else str(seen)) != digest:
            raise ProtocolError(403, "nonce already used with another body (replayed callback)")
