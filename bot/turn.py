"""One inbound message on its way through the router: what handlers read and the replies they give."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.accounts.service import AccountView
from bot.core.config import AppConfig
from bot.core.dialogue import D, FlowData, FlowState
from bot.wechat.inbound import Inbound
from nlu.gazetteer import Gazetteer
from nlu.interface import NLU, Parse

T = TypeVar("T")


@dataclass(frozen=True)
class Reply:
    """A passive reply; ``text=None`` answers WeChat with ``success`` and shows the user nothing."""

    text: str | None

    @classmethod
    def silent(cls) -> Reply:
        return cls(None)


@dataclass
class Turn:
    """The message, who sent it, where their conversation stands, and how to read it.

    No services: each feature's chat handlers are built with the services of their feature (bot/handlers).
    """

    msg: Inbound
    account: AccountView
    state: FlowState | None
    expired: bool
    config: AppConfig
    gazetteer: Gazetteer
    nlu: NLU
    _parse: Parse | None = field(default=None, repr=False)
    state_changed: bool = False
    _once: dict[str, Any] = field(default_factory=dict, repr=False)

    def once(self, name: str, compute: Callable[[], T]) -> T:
        """Work done once per message, whichever route asks (a predicate and its handler read the same)."""
        if name not in self._once:
            self._once[name] = compute()
        result: T = self._once[name]
        return result

    @property
    def text(self) -> str:
        return self.msg.text

    @functools.cached_property
    def words(self) -> str:
        """The text as fixed words are compared with it (取消。, 帮助！, HELP): read once, asked by many routes."""
        return self.msg.text.strip().strip("。！!~～ ").lower()

    @property
    def parsed(self) -> Parse | None:
        """The parse if some route asked for one (for reporting which NLU backend answered)."""
        return self._parse

    def parse(self) -> Parse:
        """Understand the text once per message, whichever routes ask."""
        if self._parse is None:
            self._parse = self.nlu.parse(self.text) if self.text else Parse("out_of_scope", 0.0, {}, "none")
        return self._parse

    def start(self, flow: str, step: str, data: FlowData | None = None) -> None:
        """Begin a flow at its first question, with its data (a FlowData dataclass of that flow)."""
        self.state = FlowState(flow, step, data.to_dict() if data is not None else {})
        self.state_changed = True

    def goto(self, step: str, data: FlowData | None = None) -> None:
        """Move the flow in progress to another question; its data replaced when given, else kept."""
        assert self.state is not None, "goto() needs a flow in progress"
        self.state = FlowState(self.state.flow, step, data.to_dict() if data is not None else self.state.data)
        self.state_changed = True

    def data(self, kind: type[D]) -> D:
        """The flow's data, read as the dataclass its flow declares."""
        assert self.state is not None, "data() needs a flow in progress"
        return kind.from_dict(self.state.data)

    def finish(self) -> None:
        self.state = None
        self.state_changed = True
