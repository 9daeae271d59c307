"""发通知: chiefs and staff compose a notice for an alley in chat, see the audience count, and confirm.

Residents answer a notice with 收到; WeChat's TEMPLATESENDJOBFINISH event settles template deliveries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from bot.broadcasts import texts
from bot.broadcasts.service import BroadcastError, Broadcasts, Target
from bot.core.dialogue import FlowData
from bot.handlers import answers
from bot.turn import Reply, Turn

# The compose flow and its states.
BROADCAST_FLOW = "broadcast"
TEXT = "text"  # waiting for the notice text (发通知 said alone)
CONFIRM = "confirm"  # the preview was shown: 确认 sends

COMMAND = re.compile(r"^(发通知|发布通知|通知大家)\s*[:：]?\s*(.*)$", re.S)
ACK_WORDS = frozenset({"收到", "收到了", "知道了", "好的收到", "已阅"})


@dataclass
class NoticeDraft(FlowData):
    alleys: list[str] = field(default_factory=list)  # the alley named (or the sender's own), when known
    body: str = ""  # the notice text, once given


def is_command(turn: Turn) -> bool:
    return turn.msg.kind in ("text", "voice") and COMMAND.match(turn.text.strip()) is not None


def _target(turn: Turn, words: str) -> tuple[Target, str]:
    """The alley named at the start (光明胡同：…), else the sender's own alley; and the notice text."""
    head, sep, tail = [*re.split(r"([:：])", words, maxsplit=1), "", ""][:3] if re.search(r"[:：]", words) \
        else (words, "", "")
    named = turn.gazetteer.alley_in(head) if sep else None
    if not sep and (whole := turn.gazetteer.alley_in(words)) and len(words.strip()) <= len(whole) + 1:
        named, tail = whole, ""  # only an alley (发通知 光明胡同): the notice text is still to come
    alley = named or turn.account.duty_alley
    body = tail.strip() if named else words
    return Target(alleys=(alley,) if alley else ()), body


def _problem(turn: Turn, exc: BroadcastError) -> str:
    if exc.code == "too_long":
        return texts.broadcast_too_long(turn.config.broadcasts.max_length)
    if exc.code == "cap":
        alley = turn.config.alley(turn.account.duty_alley or "")
        office = turn.config.street_offices.get(alley.street_office) if alley else None
        return texts.broadcast_cap(turn.config.broadcasts.daily_cap_per_sender,
                                   office.name if office else "街道", office.phone if office else "12345")
    return texts.BROADCAST_PROBLEMS.get(exc.code, texts.BROADCAST_PROBLEMS["forbidden"])


class BroadcastChat:
    """发通知 and its acknowledgements, answered with the broadcasts service."""

    def __init__(self, broadcasts: Broadcasts) -> None:
        self._broadcasts = broadcasts

    def start(self, turn: Turn) -> Reply:
        """Take ``发通知 光明胡同：内容`` whole, or ask for the text."""
        if turn.account.role not in ("chief", "staff"):
            return Reply(texts.BROADCAST_STAFF_ONLY)
        match = COMMAND.match(turn.text.strip())
        rest = match.group(2).strip() if match else ""
        if not answers.says_something(rest):
            turn.start(BROADCAST_FLOW, TEXT, NoticeDraft())
            return Reply(texts.BROADCAST_ASK_TEXT)
        turn.start(BROADCAST_FLOW, TEXT, NoticeDraft())
        return self._preview(turn, rest)

    def _preview(self, turn: Turn, words: str) -> Reply:
        target, body = _target(turn, words)
        if not answers.says_something(body):  # "发通知。" or "发通知 光明胡同": a command or an alley, no notice yet
            turn.goto(TEXT, NoticeDraft(list(target.alleys)))
            return Reply(texts.BROADCAST_ASK_TEXT)
        try:
            count = self._broadcasts.preview(turn.account.user_id, target, body)
        except BroadcastError as exc:
            return Reply(_problem(turn, exc))
        turn.goto(CONFIRM, NoticeDraft(list(target.alleys), body))
        return Reply(texts.broadcast_preview(target.label, body, count))

    def proceed(self, turn: Turn) -> Reply:
        """Text → preview; 确认 → send; anything else at the preview → the preview again."""
        assert turn.state is not None
        return self.STEPS[turn.state.step](self, turn, turn.text.strip())

    def text_given(self, turn: Turn, words: str) -> Reply:
        """Take the notice text (for the alley named before, if one was); show the preview."""
        assert turn.state is not None
        if not words:
            return Reply(texts.BROADCAST_ASK_TEXT)
        chosen = turn.data(NoticeDraft).alleys
        named_now = re.search(r"[:：]", words) and turn.gazetteer.alley_in(re.split(r"[:：]", words, maxsplit=1)[0])
        return self._preview(turn, words if named_now or len(chosen) != 1 else f"{chosen[0]}：{words}")

    def preview_confirmed(self, turn: Turn, words: str) -> Reply:
        """确认 sends (one delivery row per recipient, written by the service); anything else shows the preview."""
        assert turn.state is not None
        data = turn.data(NoticeDraft)
        target = Target(alleys=tuple(data.alleys))
        if words != "确认":
            return self._preview(turn, f"{target.label}：{data.body}")
        turn.finish()
        try:
            created = self._broadcasts.create(turn.account.user_id, target, data.body)
        except BroadcastError as exc:
            return Reply(_problem(turn, exc))
        return Reply(texts.broadcast_sent(created.id, created.recipients))

    def is_ack(self, turn: Turn) -> bool:
        return turn.msg.kind in ("text", "voice") and turn.text.strip().strip("。！!") in ACK_WORDS \
            and self._broadcasts.awaiting_ack(turn.account.user_id)

    def acknowledge(self, turn: Turn) -> Reply:
        """Record that the resident read the latest notice."""
        self._broadcasts.acknowledge(turn.account.user_id)
        return Reply(texts.BROADCAST_ACK)

    def template_finished(self, turn: Turn) -> Reply:
        """WeChat reports on a template message: settle its delivery; nothing to say back."""
        msgid = str(turn.msg.raw.get("MsgID") or turn.msg.msg_id or "")
        if msgid:
            self._broadcasts.template_finished(msgid, str(turn.msg.raw.get("Status") or ""))
        return Reply.silent()

    def follow(self, turn: Turn) -> Reply:
        """The resident agrees to get the notices of the alley they reported in."""
        alley = self._broadcasts.follow_reported_alley(turn.account.user_id)
        return Reply(texts.followed_alley(alley) if alley else texts.FOLLOW_NONE)

    # The compose flow's states and what answers each (DESIGN §4.2).
    STEPS: ClassVar[dict[str, Callable[[BroadcastChat, Turn, str], Reply]]] = {
        TEXT: text_given, CONFIRM: preview_confirmed,
    }
