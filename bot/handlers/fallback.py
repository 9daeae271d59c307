"""The last routes: media the bot cannot use, events that need no answer, and polite not-understood."""

from __future__ import annotations

from bot.accounts import texts
from bot.turn import Reply, Turn


def media(turn: Turn) -> Reply:
    """Acknowledge an unrecognised voice message or other media, and say what works."""
    if turn.msg.kind == "voice":
        return Reply(texts.VOICE_UNHEARD)
    return Reply(texts.OTHER_MEDIA)


def silent(turn: Turn) -> Reply:
    """Acknowledge an event that needs no answer (menu links, periodic location, delivery reports)."""
    return Reply.silent()


def fallback(turn: Turn) -> Reply:
    """Answer what nobody else took: not the alleys' business, or sorry, here is what I can do."""
    if turn.msg.kind in ("text", "voice") and turn.gazetteer.not_ours_in(turn.text):
        return Reply(texts.NOT_OURS)
    return Reply(texts.FALLBACK)


def unknown_menu(turn: Turn) -> Reply:
    """A menu key this version does not know (an old menu still on phones): say so and show the menu."""
    return Reply(texts.UNKNOWN_MENU)
