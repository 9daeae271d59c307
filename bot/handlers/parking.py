"""停车问答: answer parking-rule questions, for the asker's own alley when known."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.accounts import texts as account_texts
from bot.core.dialogue import FlowData
from bot.handlers import answers
from bot.parking import texts
from bot.parking.service import ParkingAnswers, ParkingReply
from bot.turn import Reply, Turn

# The parking-menu flow and its states.
PARKING_FLOW = "parking_menu"
CHOOSE_TOPIC = "choose_topic"  # the numbered topic list was shown; a number answers, text is a question


@dataclass
class TopicChoices(FlowData):
    offered: list[str] = field(default_factory=list)  # topic ids, in the order numbered
    titles: list[str] = field(default_factory=list)


def _alley(turn: Turn) -> str | None:
    mentioned = turn.parse().entities.get("alley") if turn.text else None
    return mentioned if isinstance(mentioned, str) else turn.account.home_alley


def reply_text(reply: ParkingReply) -> str:
    if reply.answer is None:
        return texts.parking_unknown(reply.phone, reply.office)
    return texts.parking_answer(reply.answer, reply.offer_report)


def _say(reply: ParkingReply) -> Reply:
    return Reply(reply_text(reply))


class ParkingChat:
    """停车问答, answered with the parking knowledge base."""

    def __init__(self, parking: ParkingAnswers) -> None:
        self._parking = parking

    def ask(self, turn: Turn) -> Reply:
        """Answer a free-form parking question."""
        return _say(self._parking.ask(turn.text, _alley(turn)))

    def answers(self, turn: Turn) -> bool:
        """Whether the knowledge base has an answer for this message (nothing is recorded)."""
        return self._parking.ask(turn.text, _alley(turn), record_gap=False).topic is not None

    def menu(self, turn: Turn) -> Reply:
        """List the parking topics as numbered choices."""
        topics = self._parking.menu()
        turn.start(PARKING_FLOW, CHOOSE_TOPIC, TopicChoices([t.id for t in topics], [t.title for t in topics]))
        return Reply(texts.parking_menu([t.title for t in topics]))

    def choose(self, turn: Turn) -> Reply:
        """Answer the numbered topic, or the typed question; ask again for anything else."""
        data = turn.data(TopicChoices)
        offered = data.offered
        if answers.number(turn.text) is not None:
            topic = answers.pick(turn.text, offered)
            if topic is not None:
                turn.finish()
                return _say(self._parking.answer_topic(topic, turn.account.home_alley))
            return Reply(texts.PARKING_CHOOSE + "\n" + account_texts.alley_choices(data.titles))
        if not turn.text:
            return Reply(texts.PARKING_CHOOSE)
        turn.finish()
        return self.ask(turn)
