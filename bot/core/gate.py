"""A message's two Redis round trips (DESIGN §6): one script on the way in, one on the way out.

In: check the callback's nonce (a replayed URL must come with the same body), claim the delivery (a WeChat retry
gets the first delivery's reply), take the sender's lock (one message per user at a time, across workers) and
read their dialogue state. Out: write or clear the state, release the lock and store the reply for retries.

Each script is atomic, so nothing can slip between the steps; the keys are the dedupe, dialogue and lock keys
of bot/core/dedupe.py and bot/core/dialogue.py, so the two stay readable with their own tools.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis

from bot.core.dedupe import DONE, PROCESSING, Deduper, Record
from bot.core.dialogue import TRACE_TTL_SECONDS, DialogueStore, FlowState
from bot.core.redis_scripts import ScriptConnections

log = logging.getLogger(__name__)

KEEP = "keep"  # end(): leave the state, or the dedupe claim, as it is
LOCK_SECONDS = 30.0  # a message holding the lock longer than this lets the next one in (it is logged)
LOCK_WAIT_SECONDS = 10.0  # the next message of the same user waits this long for the lock, then fails

# KEYS: nonce (or ""), dedupe, lock, state, trace.
# ARGV: body digest, nonce ttl, claim document, dedupe ttl, lock token, lock ms.
_BEGIN = """
if KEYS[1] ~= '' then
  if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
    local seen = redis.call('GET', KEYS[1])
    if seen and seen ~= ARGV[1] then return {'replayed'} end
  end
end
if not redis.call('SET', KEYS[2], ARGV[3], 'NX', 'EX', ARGV[4]) then
  return {'retry', redis.call('GET', KEYS[2]) or ''}
end
if not redis.call('SET', KEYS[3], ARGV[5], 'NX', 'PX', ARGV[6]) then return {'busy'} end
local state = redis.call('GET', KEYS[4])
if state then return {'go', state, 0} end
return {'go', '', redis.call('DEL', KEYS[5])}
"""

# KEYS: lock, state, trace. ARGV: lock token, lock ms. (A message that found its user busy, trying again.)
_LOCK = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'busy'} end
local state = redis.call('GET', KEYS[2])
if state then return {'go', state, 0} end
return {'go', '', redis.call('DEL', KEYS[3])}
"""

# KEYS: state, trace, lock, dedupe.
# ARGV: state ('keep' | 'clear' | its JSON), state ttl, flow, trace ttl, lock token,
#       dedupe ('keep' | 'release' | the finished document), dedupe ttl.
_END = """
if ARGV[1] == 'clear' then
  redis.call('DEL', KEYS[1], KEYS[2])
elseif ARGV[1] ~= 'keep' then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
end
local owned = 0
if ARGV[5] ~= '' and redis.call('GET', KEYS[3]) == ARGV[5] then
  redis.call('DEL', KEYS[3])
  owned = 1
end
if ARGV[6] == 'release' then
  redis.call('DEL', KEYS[4])
elseif ARGV[6] ~= 'keep' then
  redis.call('SET', KEYS[4], ARGV[6], 'EX', ARGV[7])
end
return owned
"""


class Replayed(Exception):
    """The callback's nonce was seen within the freshness window with another body."""


class UserBusy(Exception):
    """Another message of the same user held the lock for longer than the wait."""


@dataclass(frozen=True)
class Nonce:
    """What the replay check needs: the nonce's key, the body's digest, how long to remember it."""

    key: str
    digest: str
    ttl: int


@dataclass(frozen=True)
class Begun:
    """The outcome of the way in: a retry's record, or the claim with (maybe) the lock and the state."""

    retry: Record | None = None  # a delivery seen before: answer from this
    token: str = ""  # the lock's token; "" when another message of the user holds it
    state: FlowState | None = None
    expired: bool = False  # a flow timed out since the user's last message (said once)


class MessageGate:
    def __init__(self, client: redis.Redis, deduper: Deduper, dialogue: DialogueStore) -> None:
        self._r = client
        self._deduper = deduper
        self._dialogue = dialogue
        lane = ScriptConnections(client)  # see redis_scripts.py: a third of the CPU of redis-py's path
        self._begin = lane.script(_BEGIN)
        self._lock = lane.script(_LOCK)
        self._end = lane.script(_END)

    def begin(self, msg_key: str, openid: str, nonce: Nonce | None = None) -> Begun:
        """Check the nonce, claim the delivery, take the lock, read the state: one round trip."""
        token = uuid.uuid4().hex
        reply = self._begin(
            keys=[nonce.key if nonce else "", self._deduper.key(msg_key), self._dialogue.lock_key(openid),
                  self._dialogue.key(openid), self._dialogue.trace_key(openid)],
            args=[nonce.digest if nonce else "", nonce.ttl if nonce else 1, json.dumps({"state": PROCESSING}),
                  self._deduper.ttl, token, int(LOCK_SECONDS * 1000)])
        kind = _text(reply[0])
        if kind == "replayed":
            raise Replayed("nonce already used with another body (replayed callback)")
        if kind == "retry":
            raw = _text(reply[1])
            doc = json.loads(raw) if raw else {"state": PROCESSING}
            return Begun(retry=Record(doc["state"], doc.get("reply")))
        if kind == "busy":
            return Begun()
        return _begun(token, reply)

    def wait_for_lock(self, openid: str, wait: float = LOCK_WAIT_SECONDS, poll: float = 0.01) -> Begun:
        """The user's previous message still holds the lock: try again until it is free (then read the state)."""
        deadline = time.monotonic() + wait
        while True:
            token = uuid.uuid4().hex
            reply = self._lock(keys=[self._dialogue.lock_key(openid), self._dialogue.key(openid),
                                     self._dialogue.trace_key(openid)], args=[token, int(LOCK_SECONDS * 1000)])
            if _text(reply[0]) == "go":
                return _begun(token, reply)
            if time.monotonic() >= deadline:
                raise UserBusy(f"user {openid} is busy for more than {wait} s")
            time.sleep(poll)

    def end(self, msg_key: str, openid: str, token: str, state: FlowState | str | None,
            dedupe: str | Record | None) -> None:
        """Write the state (a FlowState; None clears it; "keep" leaves it), release the lock, and store the
        reply for retries (a DONE record; "keep" leaves the claim as it is; None releases it for a retry)."""
        if isinstance(state, FlowState):
            state_arg, flow = state.to_json(), state.flow
        else:
            state_arg, flow = ("clear" if state is None else "keep"), ""
        if isinstance(dedupe, Record):
            dedupe_arg = json.dumps({"state": dedupe.state, "reply": dedupe.reply}, ensure_ascii=False)
        else:
            dedupe_arg = "release" if dedupe is None else "keep"
        owned = self._end(
            keys=[self._dialogue.key(openid), self._dialogue.trace_key(openid), self._dialogue.lock_key(openid),
                  self._deduper.key(msg_key)],
            args=[state_arg, self._dialogue.ttl, flow, TRACE_TTL_SECONDS, token, dedupe_arg, self._deduper.ttl])
        if token and not owned:
            log.warning("the lock of %s expired before its message was done (over %s s)", openid, LOCK_SECONDS)


def finished(reply: str | None) -> Record:
    return Record(DONE, reply)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _begun(token: str, reply: list[Any]) -> Begun:
    raw = _text(reply[1])
    return Begun(token=token, state=FlowState.from_json(raw) if raw else None, expired=bool(int(reply[2])))
