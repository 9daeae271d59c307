"""Dialogue state in Redis: one JSON document per user with a TTL, plus a per-user lock.

A trace key outlives the state so that the bot can tell a user whose flow timed out that it did, instead of
silently treating their next message as a fresh start (DESIGN §4.4).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, TypeVar

import redis
from redis.exceptions import LockError, LockNotOwnedError
from redis.lock import Lock

log = logging.getLogger(__name__)

TRACE_TTL_SECONDS = 24 * 3600


D = TypeVar("D", bound="FlowData")


class FlowData:
    """Base of a flow's own data: a dataclass kept in Redis as JSON and read back into its declared fields.

    Every field has a default, so a state saved by an older release (a field missing) still reads, and a
    field no longer declared is dropped instead of failing the user's next message.
    """

    def to_dict(self) -> dict[str, Any]:
        """The fields, their lists and dicts copied (what asdict gives for these flat, JSON-safe fields, at a
        fifth of its cost: it was a fifth of a report step's CPU)."""
        return {name: _copied(getattr(self, name)) for name in _field_names(type(self))}

    @classmethod
    def from_dict(cls: type[D], raw: Mapping[str, Any]) -> D:
        names = _field_names(cls)
        return cls(**{k: v for k, v in raw.items() if k in names})


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _field_names(cls: type) -> frozenset[str]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        assert is_dataclass(cls), f"{cls.__name__} must be a dataclass"
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in fields(cls))
    return names


def _copied(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_copied(v) for v in value]
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    assert not is_dataclass(value), "flow data holds JSON-safe values, not nested dataclasses"
    return value


@dataclass
class FlowState:
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        # json.dumps refuses non-JSON values: dialogue state must survive any worker reading it.
        return json.dumps({"flow": self.flow, "step": self.step, "data": self.data}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> FlowState:
        doc = json.loads(raw)
        return cls(doc["flow"], doc["step"], dict(doc.get("data") or {}))


class DialogueStore:
    def __init__(self, client: redis.Redis, ttl_seconds: int, prefix: str = "alleybot") -> None:
        self._r = client
        self._ttl = ttl_seconds
        self._prefix = prefix

    @property
    def ttl(self) -> int:
        return self._ttl

    def key(self, openid: str) -> str:
        return f"{self._prefix}:dlg:{openid}"

    def trace_key(self, openid: str) -> str:
        return f"{self._prefix}:dlg-trace:{openid}"

    def lock_key(self, openid: str) -> str:
        return f"{self._prefix}:lock:user:{openid}"

    def load(self, openid: str) -> tuple[FlowState | None, bool]:
        """Return the user's state and whether a flow expired since their last message."""
        raw, trace = self._r.mget(self.key(openid), self.trace_key(openid))
        if raw is not None:
            return FlowState.from_json(raw), False
        if trace is None:
            return None, False
        # The state is gone but its trace is not: the flow timed out. Say so once, then forget it.
        return None, bool(self._r.delete(self.trace_key(openid)))

    def save(self, openid: str, state: FlowState) -> None:
        pipe = self._r.pipeline()
        pipe.set(self.key(openid), state.to_json(), ex=self._ttl)
        pipe.set(self.trace_key(openid), state.flow, ex=TRACE_TTL_SECONDS)
        pipe.execute()

    def clear(self, openid: str) -> None:
        self._r.delete(self.key(openid), self.trace_key(openid))

    def lock(self, openid: str, timeout: float = 30.0, wait: float = 10.0) -> Lock:
        """Serialise one user's messages across workers; two of them must never edit one state at once."""
        # sleep: how often a waiting worker retries; redis-py's 0.1 s default would add 100 ms per collision.
        lock: Lock = self._r.lock(self.lock_key(openid), timeout=timeout, blocking_timeout=wait,
                                  sleep=0.01)
        return lock

    @contextmanager
    def user_lock(self, openid: str, timeout: float = 30.0, wait: float = 10.0) -> Iterator[None]:
        """Hold the user's lock; if it expired meanwhile, the work is done all the same: log, don't fail it."""
        lock = self.lock(openid, timeout, wait)
        if not lock.acquire():
            raise LockError(f"user {openid} is busy for more than {wait} s")
        try:
            yield
        finally:
            try:
                lock.release()
            except LockNotOwnedError:
                log.warning("the lock of %s expired before its message was done (over %s s)", openid, timeout)
