"""From a parsed WeChat message to the reply text: dedupe, the 4-second budget, the user lock, routing.

``respond`` keeps WeChat's delivery rules (DESIGN §6): a retry of a message gets the first delivery's reply
and never runs the handlers again; work that overruns the budget answers ``success`` now and the reply goes
out later as a customer-service message. ``process`` is the bot itself: arrival, route, log. Redis is two
round trips per message (bot/core/gate.py): in (nonce, claim, lock, state) and out (state, lock, reply).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from bot.accounts import texts as account_texts
from bot.core.dedupe import LATE, PROCESSING, Record
from bot.core.dialogue import FlowState
from bot.core.gate import KEEP, Begun, Nonce, Replayed, finished
from bot.router import Chats, Route, Router
from bot.runtime import Runtime
from bot.turn import Turn
from bot.wechat.inbound import Inbound

__all__ = ["Bot", "Replayed", "RetryLater", "log_key"]

log = logging.getLogger(__name__)

KNOWN_KINDS = frozenset({"text", "image", "voice", "video", "shortvideo", "location", "link", "file", "event"})


def log_key(msg: Inbound) -> str:
    """The inbound log stores a hash of the dedupe key: it must not keep an openid after unsubscribe."""
    return hashlib.sha256(msg.dedupe_key.encode()).hexdigest()


class RetryLater(Exception):
    """The message could not be taken in (Redis or the database is unreachable) and nothing was recorded or
    done: the webhook answers with an error status so that WeChat delivers it again, never ``success``."""


class _Guard:
    """Decides, exactly once, whether a reply goes passively or by customer-service message."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.late = False
        self.done = False
        self.reply: str | None = None


@dataclass(frozen=True)
class _Done:
    """What a message came to: the reply, and the dialogue state to write on the way out (KEEP: unchanged)."""

    reply: str | None
    state: FlowState | str | None
    token: str  # the user's lock, released on the way out


class Bot:
    def __init__(self, rt: Runtime, routes: list[Route] | None = None, threads: int = 16) -> None:
        self.rt = rt
        self.router = Router(Chats.of(rt), routes)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="alleybot-handler")

    def respond(self, msg: Inbound, nonce: Nonce | None = None) -> str | None:
        """The passive reply for one delivery, or None for ``success``.

        Raises RetryLater when a dependency is down and the message was not taken in: the caller must answer
        so that WeChat retries (a ``success`` would tell WeChat the message was handled). Raises Replayed when
        ``nonce`` was seen with another body."""
        budget, key = self.rt.settings.reply_budget_seconds, msg.dedupe_key
        try:
            begun = self.rt.gate.begin(key, msg.openid, nonce)
        except Replayed:
            raise
        except Exception as exc:
            # Without Redis there is no dialogue state and no per-user lock either: refuse rather than answer
            # from a blank state, and leave a trace of the attempt in the database if it is up.
            log.exception("Redis unavailable for %s; refusing so that WeChat retries", key)
            self.record_refusal(msg, f"redis unavailable: {type(exc).__name__}: {exc}")
            raise RetryLater(f"redis: {exc}") from exc
        if begun.retry is not None:
            record: Record | None = begun.retry
            log.info("retry of %s (%s)", key, begun.retry.state)
            if begun.retry.state == PROCESSING:
                record = self.rt.deduper.wait(key, budget)
            if record is None or record.state == LATE:
                return None
            return record.reply

        guard = _Guard()
        future = self._pool.submit(self._run, msg, guard, begun)
        try:
            return future.result(timeout=budget)
        except FutureTimeout:
            with guard.lock:
                if guard.done:
                    return guard.reply
                guard.late = True
            self.rt.deduper.mark_late(key)
            log.warning("reply to %s missed the %.1fs budget; it will go by customer-service message", key, budget)
            return None

    def _run(self, msg: Inbound, guard: _Guard, begun: Begun) -> str | None:
        done = self.process(msg, begun)
        with guard.lock:
            late = guard.late
            if not late:
                guard.done, guard.reply = True, done.reply
        try:  # the second round trip: the state, the lock, and the reply kept for WeChat's retries
            self.rt.gate.end(msg.dedupe_key, msg.openid, done.token, done.state,
                             KEEP if late else finished(done.reply))
        except Exception:
            log.exception("could not store the state and reply of %s", msg.dedupe_key)
        if late:
            if done.reply:
                self._send_late(msg, done.reply)
            return None
        return done.reply

    def _send_late(self, msg: Inbound, reply: str) -> None:
        try:
            self.rt.jobs.enqueue("deliver_reply", openid=msg.openid, text=reply, msg_key=log_key(msg))
        except Exception as exc:
            log.exception("could not queue the late reply to %s", msg.dedupe_key)
            self.rt.inbox.settle(log_key(msg), "late_failed", f"queue: {exc}"[:2000])

    def process(self, msg: Inbound, begun: Begun) -> _Done:
        """Handle one message under the user's lock and record what became of it. The state it leaves is
        written by the caller's second round trip; raises RetryLater (claim and lock released) only when
        nothing was done and nothing could be recorded."""
        rt, key, token = self.rt, log_key(msg), begun.token
        try:
            if not token:  # the user's previous message is still being handled
                begun = rt.gate.wait_for_lock(msg.openid)
                token = begun.token
            if msg.kind not in KNOWN_KINDS:
                self._record_quietly(msg, "ignored", "unknown MsgType")
                log.info("ignored unknown MsgType %s from %s", msg.kind, msg.openid)
                return _Done(None, KEEP, token)
            # Under the lock: two first messages of a new user must not both create them.
            account = rt.inbox.arrive(msg.openid, key, msg.type_label)
            if account is None:
                log.info("%s was processed before (Redis forgot it); not again", msg.dedupe_key)
                return _Done(None, KEEP, token)
        except Exception as exc:  # the lock, Redis or the database itself: nothing was done
            log.exception("could not take %s in", msg.dedupe_key)
            if self._record_quietly(msg, "failed", f"{type(exc).__name__}: {exc}"):
                return _Done(account_texts.APOLOGY, KEEP, token)  # recorded as failed: the apology may say so
            self._abandon(msg, token)
            raise RetryLater(f"{type(exc).__name__}: {exc}") from exc
        turn = Turn(msg, account, begun.state, begun.expired, rt.config, rt.gazetteer, rt.nlu)
        try:
            name, reply = self.router.route(turn)
        except Exception as exc:
            log.exception("handler failed for %s", msg.dedupe_key)
            self._settle_quietly(key, "failed", f"{type(exc).__name__}: {exc}")
            return _Done(account_texts.APOLOGY, KEEP, token)
        if turn.parsed is not None:
            rt.nlu_status.last_backend = turn.parsed.backend
        text = reply.text
        if begun.expired and text and turn.state is None:
            text = f"{account_texts.EXPIRED}\n\n{text}"
        rt.inbox.settle_later(key, "handled", name)  # written with the next arrival: no transaction of its own
        return _Done(text, turn.state if turn.state_changed else KEEP, token)

    def _abandon(self, msg: Inbound, token: str) -> None:
        """Release the lock and the claim of a message that was not taken in, so WeChat's retry runs afresh."""
        try:
            self.rt.gate.end(msg.dedupe_key, msg.openid, token, KEEP, None)
        except Exception:
            log.exception("could not release the claim of %s", msg.dedupe_key)

    def _settle_quietly(self, key: str, outcome: str, detail: str) -> None:
        try:
            self.rt.inbox.settle(key, outcome, detail[:2000])
        except Exception:
            log.exception("could not record outcome %s of %s", outcome, key)

    def _record_quietly(self, msg: Inbound, outcome: str, detail: str) -> bool:
        try:
            self.rt.inbox.record(msg.openid, log_key(msg), msg.type_label, outcome, detail[:2000])
        except Exception:
            log.exception("could not record %s as %s", msg.dedupe_key, outcome)
            return False
        return True

    def record_refusal(self, msg: Inbound, detail: str) -> None:
        """Note a refused delivery under a key of its own: the message's key stays free for WeChat's retry."""
        attempt = hashlib.sha256(f"{msg.dedupe_key}|refused|{time.time_ns()}".encode()).hexdigest()
        try:
            self.rt.inbox.record(msg.openid, attempt, msg.type_label, "refused", detail[:2000])
        except Exception:
            log.exception("could not record the refusal of %s either", msg.dedupe_key)
