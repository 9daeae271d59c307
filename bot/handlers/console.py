"""工作台: a chief or staff member asks for the staff console, and gets a one-time login link."""

from __future__ import annotations

from bot.accounts import texts
from bot.accounts.console_login import LINK_SECONDS, ConsoleLogins, NotStaff
from bot.turn import Reply, Turn

WORDS = frozenset({"工作台", "街道工作台", "登录工作台", "后台"})


class ConsoleChat:
    """The console's door in chat, answered with the console logins."""

    def __init__(self, logins: ConsoleLogins) -> None:
        self._logins = logins

    def link(self, turn: Turn) -> Reply:
        """Send a one-time link to the console (chiefs and staff only)."""
        try:
            url = self._logins.link(turn.account)
        except NotStaff:
            return Reply(texts.CONSOLE_STAFF_ONLY)
        return Reply(texts.console_link(url, LINK_SECONDS // 60))
