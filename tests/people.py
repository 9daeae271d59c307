"""Who is who in tests: services take user ids, tests speak of WeChat openids."""

from __future__ import annotations

from bot.runtime import Runtime


def uid(rt: Runtime, openid: str) -> int:
    """The user id of ``openid`` (created as a resident if new, without opening the 48-hour window)."""
    return rt.accounts.ensure(openid).user_id
