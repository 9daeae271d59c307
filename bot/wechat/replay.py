"""Replay protection for callbacks: a nonce seen within the freshness window must come with the same body.

In plaintext mode WeChat signs only (token, timestamp, nonce), not the body: a callback URL copied from a log
would otherwise carry any forged body for as long as its timestamp is fresh. A WeChat retry of the same message
repeats the same body and passes; another body under a seen nonce is refused. Nonces live in Redis, shared
by every worker, for the freshness window; the check itself is part of the message's first Redis round trip.
"""

from __future__ import annotations

import hashlib

from bot.core.gate import Nonce
from bot.wechat.protocol import FRESH_SECONDS, ProtocolError


class ReplayGuard:
    def __init__(self, prefix: str = "alleybot:nonce") -> None:
        self._prefix = prefix

    def nonce(self, nonce: str, timestamp: str, body: bytes) -> Nonce:
        """What the message gate checks in its first round trip (bot/core/gate.py): the nonce's key, the body's
        digest, and twice the freshness window as its memory (a timestamp at the edge of the window stays
        remembered until it can no longer pass)."""
        if not nonce:
            raise ProtocolError(403, "nonce missing")
        return Nonce(f"{self._prefix}:{timestamp}:{nonce}", hashlib.sha256(body).hexdigest(), 2 * FRESH_SECONDS)
