"""The last routes: media the bot cannot use yet, features not yet open, and polite not-understood."""

from __future__ import annotations

from bot import texts
from bot.turn import Reply, Turn


def media(turn: Turn) -> Reply:
    """Acknowledge an unrecognised voice message or other media, and say what works."""
    if turn.msg.kind == "voice":
        return Reply(texts.VOICE_UNHEARD)
    return Reply(texts.OTHER_MEDIA)


def feature_coming(turn: Turn) -> Reply:
    """Name the feature the user asked for and offer what already works."""
    key = turn.msg.event_key or ""
    name = texts.MENU_FEATURE_NAMES.get(key) or texts.INTENT_FEATURE_NAMES.get(turn.parse().intent, "")
    return Reply(texts.FEATURE_COMING.format(name=name))


def silent(turn: Turn) -> Reply:
    """Acknowledge an event that needs no answer (menu links, periodic location, delivery reports)."""
    return Reply.silent()


def fallback(turn: Turn) -> Reply:
    """Answer what nobody else took: sorry, here is what I can do."""
    return Reply(texts.FALLBACK)
