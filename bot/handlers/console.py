"""工作台: a chief or staff member asks for the staff console and gets a one-time login link, or confirms the
code a desktop browser shows (登录 123456)."""

from __future__ import annotations

import re

from bot.accounts import texts
from bot.accounts.console_login import LINK_SECONDS, CodeRefused, ConsoleLogins, NotStaff
from bot.turn import Reply, Turn

WORDS = frozenset({"工作台", "街道工作台", "登录工作台", "后台"})
CODE = re.compile(r"^登录\s*([0-9０-９]{1,12})$")  # any number: a mistyped one is told so


def is_code(turn: Turn) -> bool:
    return turn.msg.kind == "text" and CODE.match(turn.text.strip()) is not None


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

    def confirm_code(self, turn: Turn) -> Reply:
        """Log in the desktop browser that shows this code (chiefs and staff only; wrong codes are limited)."""
        match = CODE.match(turn.text.strip())
        assert match is not None
        code = match.group(1).translate(str.maketrans("０１２３４５６７８９", "0123456789"))
        if len(code) != 6:
            return Reply(texts.CONSOLE_CODE_WRONG)
        try:
            self._logins.confirm(code, turn.account)
        except NotStaff:
            return Reply(texts.CONSOLE_STAFF_ONLY)
        except CodeRefused as refused:
            return Reply(texts.CONSOLE_CODE_LIMITED if refused.why == "limited" else texts.CONSOLE_CODE_WRONG)
        return Reply(texts.CONSOLE_CODE_DONE)
