"""Jobs of 满意度调查: pushing a poll to its audience."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from bot.core.jobs import job

if TYPE_CHECKING:
    from bot.polls.service import Polls
    from bot.wechat.messenger import Messenger

log = logging.getLogger(__name__)


class Runtime(Protocol):
    """What these jobs use of the process's runtime (bot/runtime.py provides it)."""

    polls: Polls
    messenger: Messenger


@job("push_poll")
def push_poll(rt: Runtime, poll_id: int) -> None:
    """Invite the poll's audience inside WeChat's 48-hour window, each person once (from its opening time)."""
    from bot.polls import texts

    for user_id, openid in rt.polls.push_audience(poll_id):
        poll = rt.polls.invite(user_id, via="push", poll_id=poll_id)
        if poll is None:
            continue
        result = rt.messenger.deliver_text(openid, texts.poll_invitation(len(poll.questions)))
        log.info("poll %s invitation to %s: %s", poll_id, openid, result.status)
