"""Account handlers: following, leaving, help, small talk, and binding a home alley."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.accounts import texts
from bot.accounts.service import Accounts
from bot.core.dialogue import FlowData
from bot.core.geo import distance_to_polyline
from bot.handlers import answers
from bot.notices.service import Notices
from bot.turn import Reply, Turn

# The bind-alley flow and its states.
BIND_FLOW = "bind_alley"
ASK_ALLEY = "ask_alley"  # waiting for an alley name, a number from the offered list, or a location



@dataclass
class AlleyChoices(FlowData):
    offered: list[str] = field(default_factory=list)  # the alleys offered by number


NEAREST_OFFERED = 3
SIMILAR_OFFERED = 5


def cancel(turn: Turn) -> Reply:
    """Leave whatever flow the user is in."""
    if turn.state is None:
        return Reply(texts.NOTHING_TO_CANCEL)
    turn.finish()
    return Reply(texts.CANCELLED)


def help_menu(turn: Turn) -> Reply:
    """Show what the bot can do; a flow in progress stays where it was."""
    return Reply(texts.MENU)


def street_phone(turn: Turn) -> Reply:
    """Give the street office's public number: the one of the user's alley, else every office's."""
    offices = turn.config.street_offices
    alley = turn.config.alley(turn.account.home_alley or turn.account.duty_alley or "")
    chosen = [offices[alley.street_office]] if alley and alley.street_office in offices else list(offices.values())
    return Reply(texts.street_phones([(o.name, o.phone) for o in chosen if o.phone]))


def greet(turn: Turn) -> Reply:
    """Answer a greeting."""
    return Reply(texts.GREET)


def thanks(turn: Turn) -> Reply:
    """Answer thanks."""
    return Reply(texts.THANKS)


def location(turn: Turn) -> Reply:
    """Tell the user which alley they are near when they share a location outside any flow."""
    names = _nearest(turn, 1)
    return Reply(texts.location_seen(names[0]) if names else texts.MENU)


def _nearest(turn: Turn, n: int) -> list[str]:
    if turn.msg.lat is None or turn.msg.lng is None:
        return []
    here = (turn.msg.lat, turn.msg.lng)
    ranked = sorted(turn.config.alleys, key=lambda a: distance_to_polyline(here, a.polyline))
    return [a.name for a in ranked[:n]]


class AccountChat:
    """The account conversation, answered with the accounts and the held notices."""

    def __init__(self, accounts: Accounts, notices: Notices) -> None:
        self._accounts = accounts
        self._notices = notices

    def subscribed(self, turn: Turn) -> Reply:
        """Welcome a new follower; a QR code of an alley (qrscene_<alley>) binds them to it."""
        key = turn.msg.event_key or ""
        scene = key[len("qrscene_"):] if key.startswith("qrscene_") else ""
        alley = turn.gazetteer.alley_in(scene) if scene else None
        _, bound = self._accounts.subscribe(turn.msg.openid, alley)
        if bound:
            return Reply(texts.welcome_bound(bound.name, bound.chief))
        return Reply(texts.WELCOME)

    def scanned(self, turn: Turn) -> Reply:
        """Bind a follower who scans an alley's QR code (WeChat sends the scene without the prefix)."""
        alley = turn.gazetteer.alley_in(turn.msg.event_key or "")
        if not alley:
            return Reply(texts.GREET)
        _, bound = self._accounts.bind_alley(turn.msg.openid, alley)
        return Reply(texts.alley_bound(bound.name, bound.chief))

    def unsubscribed(self, turn: Turn) -> Reply:
        """Forget the follower: stop sending, anonymise, and say nothing (WeChat would not deliver it)."""
        turn.finish()
        self._accounts.unsubscribe(turn.msg.openid)
        return Reply.silent()

    def bind_start(self, turn: Turn) -> Reply:
        """Bind the alley named in the message, or ask for it."""
        alley = turn.parse().entities.get("alley")
        if isinstance(alley, str):
            return self._bind(turn, alley)
        turn.start(BIND_FLOW, ASK_ALLEY, AlleyChoices())
        return Reply(texts.ASK_ALLEY)

    def bind_continue(self, turn: Turn) -> Reply:
        """Take an alley name, a number from the offered list or a location; ask again otherwise."""
        offered = turn.data(AlleyChoices).offered
        if turn.msg.kind == "location":
            names = _nearest(turn, NEAREST_OFFERED)
            turn.goto(ASK_ALLEY, AlleyChoices(names))
            return Reply(texts.nearest_alleys(names))
        if answers.number(turn.text) is not None and offered:
            chosen = answers.pick(turn.text, offered)
            if chosen is not None:
                return self._bind(turn, chosen)
            return Reply(texts.ask_alley_with_choices(texts.CHOOSE_FROM_LIST, offered))
        alley = turn.gazetteer.alley_in(turn.text) if turn.text else None
        if alley:
            return self._bind(turn, alley)
        similar = turn.gazetteer.candidates(turn.text, SIMILAR_OFFERED) if turn.text else []
        if similar:
            turn.goto(ASK_ALLEY, AlleyChoices(similar))
            return Reply(texts.ask_alley_with_choices(texts.ALLEY_NOT_FOUND, similar))
        turn.goto(ASK_ALLEY, AlleyChoices())
        return Reply(texts.ASK_ALLEY)

    def _bind(self, turn: Turn, alley: str) -> Reply:
        _, bound = self._accounts.bind_alley(turn.msg.openid, alley)
        if turn.state is not None:
            turn.finish()
        return Reply(texts.alley_bound(bound.name, bound.chief))

    def held_notices(self, turn: Turn, reply: Reply) -> Reply:
        """Put notices WeChat would not let us push (outside 48 h, no template) in front of the reply, once."""
        if reply.text is None or turn.account.held_notices <= 0:
            return reply
        held = self._notices.take_held(turn.account.user_id)
        return Reply(f"{texts.held_notices(held)}\n\n{reply.text}") if held else reply
