"""From a parsed WeChat message to the reply text: dedupe, the 4-second budget, the user lock, routing.

``respond`` keeps WeChat's delivery rules (DESIGN §6): a retry of a message gets the first delivery's reply
and never runs the handlers again; work that overruns the budget answers ``success`` now and the reply goes
out later as a customer-service message. ``process`` is the bot itself: lock, state, route, log.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from bot.accounts import texts as account_texts
from bot.core.dedupe import LATE, PROCESSING
from bot.router import Chats, Route, Router
from bot.runtime import Runtime
from bot.turn import Turn
from bot.wechat.inbound import Inbound

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


class Bot:
    def __init__(self, rt: Runtime, routes: list[Route] | None = None, threads: int = 16) -> None:
        self.rt = rt
        self.router = Router(Chats.of(rt), routes)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="alleybot-handler")

    def respond(self, msg: Inbound) -> str | None:
        """The passive reply for one delivery, or None for ``success``.

        Raises RetryLater when a dependency is down and the message was not taken in: the caller must answer
        so that WeChat retries (a ``success`` would tell WeChat the message was handled)."""
        deduper, budget = self.rt.deduper, self.rt.settings.reply_budget_seconds
        key = msg.dedupe_key
        try:
            record = deduper.claim(key)
        except Exception as exc:
            # Without Redis there is no dialogue state and no per-user lock either: refuse rather than answer
            # from a blank state, and leave a trace of the attempt in the database if it is up.
            log.exception("dedupe unavailable for %s; refusing so that WeChat retries", key)
            self.record_refusal(msg, f"redis unavailable: {type(exc).__name__}: {exc}")
            raise RetryLater(f"redis: {exc}") from exc
        if record is not None:
            log.info("retry of %s (%s)", key, record.state)
            if record.state == PROCESSING:
                record = deduper.wait(key, budget)
            if record is None or record.state == LATE:
                return None
            return record.reply

        guard = _Guard()
        future = self._pool.submit(self._run, msg, guard)
        try:
            return future.result(timeout=budget)
        except RetryLater:
            self._release_quietly(key)  # the retry must be processed afresh, not answered from the claim
            raise
        except FutureTimeout:
            with guard.lock:
                if guard.done:
                    return guard.reply
                guard.late = True
            deduper.mark_late(key)
            log.warning("reply to %s missed the %.1fs budget; it will go by customer-service message", key, budget)
            return None

    def _run(self, msg: Inbound, guard: _Guard) -> str | None:
        reply = self.process(msg)
        with guard.lock:
            if guard.late:
                if reply:
                    self._send_late(msg, reply)
                return None
            guard.done, guard.reply = True, reply
        try:
            self.rt.deduper.finish(msg.dedupe_key, reply)
        except Exception:
            log.exception("could not store the reply of %s for retries", msg.dedupe_key)
        return reply

    def _send_late(self, msg: Inbound, reply: str) -> None:
        try:
            self.rt.jobs.enqueue("deliver_reply", openid=msg.openid, text=reply, msg_key=log_key(msg))
        except Exception as exc:
            log.exception("could not queue the late reply to %s", msg.dedupe_key)
            self.rt.inbox.settle(log_key(msg), "late_failed", f"queue: {exc}"[:2000])

    def process(self, msg: Inbound) -> str | None:
        """Handle one message under the user's lock and record what became of it; never raises."""
        rt, key = self.rt, log_key(msg)
        if msg.kind not in KNOWN_KINDS:
            self._record_quietly(msg, "ignored", "unknown MsgType")
            log.info("ignored unknown MsgType %s from %s", msg.kind, msg.openid)
            return None
        try:
            # The lock spans arrival too: two first messages of a new user must not both create them.
            with rt.dialogue.user_lock(msg.openid):
                account = rt.inbox.arrive(msg.openid, key, msg.type_label)
                if account is None:
                    log.info("%s was processed before (Redis forgot it); not again", msg.dedupe_key)
                    return None
                try:
                    state, expired = rt.dialogue.load(msg.openid)
                    turn = Turn(msg, account, state, expired, rt.config, rt.gazetteer, rt.nlu)
                    name, reply = self.router.route(turn)
                    if turn.state_changed:
                        if turn.state is None:
                            rt.dialogue.clear(msg.openid)
                        else:
                            rt.dialogue.save(msg.openid, turn.state)
                except Exception as exc:
                    log.exception("handler failed for %s", msg.dedupe_key)
                    self._settle_quietly(key, "failed", f"{type(exc).__name__}: {exc}")
                    return account_texts.APOLOGY
        except Exception as exc:  # the lock, Redis or the database itself: nothing was done
            log.exception("could not take %s in", msg.dedupe_key)
            if self._record_quietly(msg, "failed", f"{type(exc).__name__}: {exc}"):
                return account_texts.APOLOGY  # recorded as failed: the apology may say so
            raise RetryLater(f"{type(exc).__name__}: {exc}") from exc
        if turn.parsed is not None:
            rt.nlu_status.last_backend = turn.parsed.backend
        text = reply.text
        if expired and text and turn.state is None:
            text = f"{account_texts.EXPIRED}\n\n{text}"
        self._settle_quietly(key, "handled", name)
        return text

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

    def _release_quietly(self, key: str) -> None:
        try:
            self.rt.deduper.release(key)
        except Exception:
            log.exception("could not release the dedupe claim of %s", key)
