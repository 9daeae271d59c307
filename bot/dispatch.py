"""From a parsed WeChat message to the reply text: dedupe, the 4-second budget, the user lock, routing.

``respond`` keeps WeChat's delivery rules (DESIGN §6): a retry of a message gets the first delivery's reply
and never runs the handlers again; work that overruns the budget answers ``success`` now and the reply goes
out later as a customer-service message. ``process`` is the bot itself: lock, state, route, log.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from bot import texts
from bot.dedupe import LATE, PROCESSING
from bot.inbound import Inbound
from bot.router import ROUTES, Route, route
from bot.runtime import Runtime
from bot.turn import Turn

log = logging.getLogger(__name__)

KNOWN_KINDS = frozenset({"text", "image", "voice", "video", "shortvideo", "location", "link", "file", "event"})


def log_key(msg: Inbound) -> str:
    """The inbound log stores a hash of the dedupe key: it must not keep an openid after unsubscribe."""
    return hashlib.sha256(msg.dedupe_key.encode()).hexdigest()


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
        self.routes = routes if routes is not None else ROUTES
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="alleybot-handler")

    def respond(self, msg: Inbound) -> str | None:
        """The passive reply for one delivery, or None for ``success``; never raises."""
        deduper, budget = self.rt.deduper, self.rt.settings.reply_budget_seconds
        key = msg.dedupe_key
        try:
            record = deduper.claim(key)
        except Exception:
            log.exception("dedupe unavailable for %s; refusing so that WeChat retries", key)
            return None
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
            self.rt.inbound_log.set_outcome(log_key(msg), "late_failed", f"queue: {exc}"[:2000])

    def process(self, msg: Inbound) -> str | None:
        """Handle one message under the user's lock and record what became of it; never raises."""
        rt, key = self.rt, log_key(msg)
        try:
            if msg.kind not in KNOWN_KINDS:
                rt.inbound_log.record(msg.openid, key, msg.type_label, "ignored", "unknown MsgType")
                log.info("ignored unknown MsgType %s from %s", msg.kind, msg.openid)
                return None
            if not rt.inbound_log.record(msg.openid, key, msg.type_label, "processing"):
                log.info("%s was processed before (Redis forgot it); not processing again", msg.dedupe_key)
                return None
        except Exception:
            log.exception("cannot log inbound %s", msg.dedupe_key)
            return texts.APOLOGY
        try:
            with rt.dialogue.lock(msg.openid):
                state, expired = rt.dialogue.load(msg.openid)
                account = rt.accounts.seen(msg.openid)
                turn = Turn(msg, account, state, expired, rt.accounts, rt.config, rt.gazetteer, rt.nlu)
                name, reply = route(turn, self.routes)
                if turn.state_changed:
                    if turn.state is None:
                        rt.dialogue.clear(msg.openid)
                    else:
                        rt.dialogue.save(msg.openid, turn.state)
            if turn._parse is not None:
                rt.nlu_status.last_backend = turn._parse.backend
            text = reply.text
            if expired and text and turn.state is None:
                text = f"{texts.EXPIRED}\n\n{text}"
            rt.inbound_log.set_outcome(key, "handled", name)
            return text
        except Exception as exc:
            log.exception("handler failed for %s", msg.dedupe_key)
            try:
                rt.inbound_log.set_outcome(key, "failed", f"{type(exc).__name__}: {exc}"[:2000])
            except Exception:
                log.exception("could not record the failure of %s", msg.dedupe_key)
            return texts.APOLOGY
