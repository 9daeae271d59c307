"""Jobs of the webhook's own bookkeeping: a reply that missed WeChat's 5-second window."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from bot.core.jobs import job

if TYPE_CHECKING:
    from bot.accounts.inbox import Inbox
    from bot.wechat.messenger import Messenger

log = logging.getLogger(__name__)


class Runtime(Protocol):
    """What these jobs use of the process's runtime (bot/runtime.py provides it)."""

    inbox: Inbox
    messenger: Messenger


@job("deliver_reply")
def deliver_reply(rt: Runtime, openid: str, text: str, msg_key: str) -> None:
    """Send a reply that missed WeChat's passive-reply deadline, and note the outcome on the message."""
    result = rt.messenger.deliver_text(openid, text)
    outcome = "late" if result.status in ("sent", "template") else "late_failed"
    rt.inbox.settle(msg_key, outcome, None if outcome == "late" else result.reason)
    log.info("late reply to %s: %s %s", openid, result.status, result.errcode or "")
