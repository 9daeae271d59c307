"""满意度调查: residents answer quick polls in one tap (a digit) or a word (满意, 还行, 太差了)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import ClassVar

from bot.accounts import texts as account_texts
from bot.core.dialogue import FlowData
from bot.handlers import answers
from bot.polls import texts
from bot.polls.service import Polls, PollView, QuestionView
from bot.turn import Reply, Turn

# The poll flow and its state.
POLL_FLOW = "poll"
ANSWERING = "answering"  # a question was asked: 1/2/3 or a rating word answers it

# The poll-creation flow (chiefs and staff) and its states.
CREATE_FLOW = "poll_create"
QUESTIONS = "questions"  # collecting question texts, one per message, until 完成
SCALE = "scale"  # 1 满意/一般/不满意, 2 赞同/一般/反对
TARGET = "target"  # 1 the chief's alley, 2 its street office, 3 everyone
CONFIRM = "confirm"  # preview shown: 确认 sends
MAX_QUESTIONS = 10
DONE_WORDS = frozenset({"完成", "好了", "没了", "完了"})

RATING_DIGITS = {"1": 1, "2": 2, "3": 3}


@dataclass
class Answering(FlowData):
    poll_id: int = 0
    question_id: int = 0  # the question asked
    scale: str = "satisfaction"
    total: int = 0  # questions in the poll


@dataclass
class PollDraft(FlowData):
    questions: list[str] = field(default_factory=list)
    scale: str = "satisfaction"
    kind: str | None = None  # the audience: alley, office or everyone
    name: str | None = None  # the alley's or the office's name, or 所有居民


def _ask(turn: Turn, poll: PollView, question: QuestionView, intro: str = "") -> Reply:
    turn.start(POLL_FLOW, ANSWERING, Answering(poll.id, question.id, poll.scale, len(poll.questions)))
    ask = texts.poll_question(question.position, len(poll.questions), question.text, poll.scale)
    return Reply(f"{intro}\n{ask}" if intro else ask)


def _rating(turn: Turn) -> int | None:
    word = turn.text.strip().strip("。！!.~ ")
    if word in RATING_DIGITS:
        return RATING_DIGITS[word]
    found = turn.gazetteer.find_rating(word)
    if found:
        return int(found.value)
    parsed = turn.parse()
    value = parsed.entities.get("rating") if parsed.intent == "poll_answer" else None
    return int(value) if value in (1, 2, 3) else None


def create_start(turn: Turn) -> Reply:
    """Start collecting the questions of a new poll (chiefs and staff only)."""
    if turn.account.role not in ("chief", "staff"):
        return Reply(texts.POLL_CREATE_STAFF_ONLY)
    turn.start(CREATE_FLOW, QUESTIONS, PollDraft())
    return Reply(texts.POLL_CREATE_ASK)


def _office(turn: Turn) -> str | None:
    alley = turn.config.alley(turn.account.duty_alley or turn.account.home_alley or "")
    return alley.street_office if alley else None


def _own_alley(turn: Turn) -> str | None:
    return turn.account.duty_alley or turn.account.home_alley


class PollChat:
    """Answering and creating polls, with the polls service."""

    def __init__(self, polls: Polls) -> None:
        self._polls = polls

    def start(self, turn: Turn) -> Reply:
        """Ask the first unanswered question of an open poll; offer to change answers when all are given."""
        found = self._polls.next_question(turn.account.user_id, turn.account.home_alley)
        if found is None:
            return Reply(texts.POLL_NONE)
        poll, question, again = found
        return _ask(turn, poll, question, intro=texts.POLL_RESTART if again else "")

    def answer(self, turn: Turn) -> Reply:
        """Record the answer and ask the next question; ask again when the reply is not a rating."""
        data = turn.data(Answering)
        rating = _rating(turn)
        if rating is None:
            ask = texts.SCALE_OPTIONS[data.scale]
            return Reply(f"{texts.POLL_ASK_AGAIN}{ask}。")
        result = self._polls.answer(turn.account.user_id, data.poll_id, data.question_id, rating)
        if not result.recorded:
            turn.finish()
            return Reply(texts.POLL_CLOSED)
        if result.next_question is not None:
            nxt = result.next_question
            turn.goto(ANSWERING, replace(data, question_id=nxt.id))
            return Reply(texts.poll_question(nxt.position, data.total, nxt.text, data.scale))
        turn.finish()
        return Reply(texts.POLL_CHANGED if result.replaced else texts.POLL_THANKS)

    def invitation(self, turn: Turn, reply: Reply) -> Reply:
        """Add an invitation to a poll the resident has not seen yet to the end of an ordinary reply, once."""
        if reply.text is None or turn.state is not None or turn.msg.kind not in ("text", "voice", "event"):
            return reply
        if not turn.account.subscribed or not self._polls.might_invite(turn.account.home_alley):
            return reply
        poll = self._polls.invite(turn.account.user_id, via="next_message")
        if poll is None:
            return reply
        return Reply(f"{reply.text}\n\n{texts.poll_invitation(len(poll.questions))}")

    def create_continue(self, turn: Turn) -> Reply:
        """Take questions until 完成, then the scale, then the audience, then 确认 (each step's own handler)."""
        assert turn.state is not None
        return self.CREATE_STEPS[turn.state.step](self, turn, turn.text.strip(), turn.data(PollDraft))

    def question_given(self, turn: Turn, text: str, draft: PollDraft) -> Reply:
        """Take one more question, or 完成 when there is at least one."""
        questions = draft.questions
        if text in DONE_WORDS:
            if not questions:
                return Reply(texts.POLL_CREATE_NEED_ONE)
            turn.goto(SCALE)
            return Reply(texts.POLL_CREATE_SCALE)
        if not text:
            return Reply(texts.POLL_CREATE_ASK)
        if len(questions) >= MAX_QUESTIONS:
            return Reply(texts.poll_create_too_many(MAX_QUESTIONS))
        turn.goto(QUESTIONS, replace(draft, questions=[*questions, text[:200]]))
        return Reply(texts.poll_create_more(len(questions) + 1))

    def scale_chosen(self, turn: Turn, text: str, draft: PollDraft) -> Reply:
        """Take the answer scale: 1 满意/一般/不满意, 2 赞同/一般/反对."""
        scale = answers.pick(text, ["satisfaction", "agreement"])
        if scale is None:
            return Reply(texts.POLL_CREATE_SCALE)
        turn.goto(TARGET, replace(draft, scale=scale))
        return Reply(texts.poll_create_target(_own_alley(turn), _office(turn)))

    def audience_chosen(self, turn: Turn, text: str, draft: PollDraft) -> Reply:
        """Take the audience: the chief's alley, its street office, or everyone; show the preview."""
        alley, office = _own_alley(turn), _office(turn)
        kind, name = answers.pick(text, [("alley", alley), ("office", office), ("everyone", account_texts.EVERYONE)]) \
            or (None, None)
        if kind is None or name is None:
            return Reply(texts.poll_create_target(alley, office))
        turn.goto(CONFIRM, replace(draft, kind=kind, name=name))
        audience = name if kind != "everyone" else account_texts.EVERYONE
        return Reply(texts.poll_create_preview(draft.questions, audience, draft.scale))

    def preview_confirmed(self, turn: Turn, text: str, draft: PollDraft) -> Reply:
        """确认 creates the poll (its push is queued by the service); anything else shows the preview again."""
        if text != "确认":
            return Reply(texts.poll_create_preview(draft.questions, str(draft.name), draft.scale))
        kind, name = draft.kind, draft.name
        poll = self._polls.create(draft.questions, scale=draft.scale,
                                 alleys=[str(name)] if kind == "alley" else [],
                                 street_office=str(name) if kind == "office" else None, created_by=turn.msg.openid)
        turn.finish()
        return Reply(texts.poll_created(poll.id))

    # The creation flow's states and what answers each (DESIGN §4.2).
    CREATE_STEPS: ClassVar[dict[str, Callable[[PollChat, Turn, str, PollDraft], Reply]]] = {
        QUESTIONS: question_given, SCALE: scale_chosen, TARGET: audience_chosen, CONFIRM: preview_confirmed,
    }
