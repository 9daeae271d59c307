"""满意度调查: residents answer quick polls in one tap (a digit) or a word (满意, 还行, 太差了)."""

from __future__ import annotations

from bot import texts
from bot.services.polls import PollView, QuestionView
from bot.turn import Reply, Turn

# The poll flow and its state.
POLL_FLOW = "poll"
ANSWERING = "answering"  # a question was asked: 1/2/3 or a rating word answers it

RATING_DIGITS = {"1": 1, "2": 2, "3": 3}


def _ask(turn: Turn, poll: PollView, question: QuestionView, intro: str = "") -> Reply:
    turn.start(POLL_FLOW, ANSWERING, poll_id=poll.id, question_id=question.id, scale=poll.scale,
               total=len(poll.questions))
    ask = texts.poll_question(question.position, len(poll.questions), question.text, poll.scale)
    return Reply(f"{intro}\n{ask}" if intro else ask)


def start(turn: Turn) -> Reply:
    """Ask the first unanswered question of an open poll; offer to change answers when all are given."""
    pending = turn.polls.pending(turn.msg.openid)
    if pending:
        return _ask(turn, *pending)
    again = turn.polls.restart(turn.msg.openid)
    if again:
        return _ask(turn, *again, intro=texts.POLL_RESTART)
    return Reply(texts.POLL_NONE)


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


def answer(turn: Turn) -> Reply:
    """Record the answer and ask the next question; ask again when the reply is not a rating."""
    assert turn.state is not None
    data = turn.state.data
    rating = _rating(turn)
    if rating is None:
        ask = texts.SCALE_OPTIONS[str(data["scale"])]
        return Reply(f"{texts.POLL_ASK_AGAIN}{ask}。")
    result = turn.polls.answer(turn.msg.openid, int(data["poll_id"]), int(data["question_id"]), rating)
    if not result.recorded:
        turn.finish()
        return Reply(texts.POLL_CLOSED)
    if result.next_question is not None:
        nxt = result.next_question
        turn.goto(ANSWERING, question_id=nxt.id)
        return Reply(texts.poll_question(nxt.position, int(data["total"]), nxt.text, str(data["scale"])))
    turn.finish()
    return Reply(texts.POLL_CHANGED if result.replaced else texts.POLL_THANKS)


def invitation(turn: Turn, reply: Reply) -> Reply:
    """Add an invitation to a poll the resident has not seen yet to the end of an ordinary reply, once."""
    if reply.text is None or turn.state is not None or turn.msg.kind not in ("text", "voice", "event"):
        return reply
    poll = turn.polls.invite(turn.msg.openid, via="next_message")
    if poll is None:
        return reply
    return Reply(f"{reply.text}\n\n{texts.poll_invitation(len(poll.questions))}")
