"""Cross-worker deduplication of WeChat deliveries (DESIGN §6).

WeChat retries a message it got no answer to within 5 s, up to three deliveries, possibly to another worker.
The first delivery claims the key; a retry waits for the first one's reply and answers with the same text.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import redis

PROCESSING, DONE, LATE = "processing", "done", "late"


@dataclass(frozen=True)
class Record:
    state: str
    reply: str | None = None


class Deduper:
    def __init__(self, client: redis.Redis, ttl_seconds: int, prefix: str = "alleybot") -> None:
        self._r = client
        self._ttl = ttl_seconds
        self._prefix = prefix

    @property
    def ttl(self) -> int:
        return self._ttl

    def key(self, msg_key: str) -> str:
        return f"{self._prefix}:dedupe:{msg_key}"

    def claim(self, msg_key: str) -> Record | None:
        """Claim a delivery; None means this is the first one and the caller must process it."""
        if self._r.set(self.key(msg_key), json.dumps({"state": PROCESSING}), nx=True, ex=self._ttl):
            return None
        return self.get(msg_key) or Record(PROCESSING)

    def get(self, msg_key: str) -> Record | None:
        raw = self._r.get(self.key(msg_key))
        if raw is None:
            return None
        doc = json.loads(raw)
        return Record(doc["state"], doc.get("reply"))

    def finish(self, msg_key: str, reply: str | None) -> None:
        self._r.set(self.key(msg_key), json.dumps({"state": DONE, "reply": reply}, ensure_ascii=False),
                    ex=self._ttl)

    def mark_late(self, msg_key: str) -> None:
        self._r.set(self.key(msg_key), json.dumps({"state": LATE}), ex=self._ttl)

    def release(self, msg_key: str) -> None:
        """Forget a claim whose processing could not even start, so WeChat's retry gets another chance."""
        self._r.delete(self.key(msg_key))

    def wait(self, msg_key: str, timeout: float, poll: float = 0.02) -> Record | None:
        """Wait for the first delivery to finish; None if it is still running when the time is up."""
        deadline = time.monotonic() + timeout
        while True:
            record = self.get(msg_key)
            if record is not None and record.state != PROCESSING:
                return record
            if time.monotonic() >= deadline:
                return None
            time.sleep(poll)
