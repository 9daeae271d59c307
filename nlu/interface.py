"""The NLU contract every backend keeps: text in, intent + confidence + canonical entities out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from nlu.gazetteer import Gazetteer

INTENTS = (
    "report_issue", "query_issue_status", "checkin", "query_points", "redeem_points", "join_steward",
    "poll_answer", "ask_parking", "bind_alley", "broadcast_notice", "greet", "help", "thanks", "out_of_scope",
)


@dataclass(frozen=True)
class Parse:
    intent: str
    confidence: float
    entities: dict[str, Any] = field(default_factory=dict)
    backend: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"intent": self.intent, "confidence": round(self.confidence, 4), "entities": dict(self.entities)}


class NLU(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def gazetteer(self) -> Gazetteer:
        """The alley/category names the rest of the bot resolves free text against."""
        ...

    def parse(self, text: str) -> Parse: ...
