"""Logging in to the staff console through WeChat, with no passwords: one-time links a chief or staff member
gets in chat (工作台) or an administrator prints (`alleybot console login-link`).

A link's token is kept in Redis only as its SHA-256, with its TTL, and is taken with GETDEL: it works once,
for LINK_SECONDS, and a copy of the Redis data logs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets

import redis

from bot.accounts.service import AccountView

LINK_SECONDS = 600
CONSOLE_ROLES = ("chief", "staff")


class NotStaff(Exception):
    """The console is for chiefs and street-office staff."""


def _key(token: str) -> str:
    return "alleybot:console:link:" + hashlib.sha256(token.encode()).hexdigest()


class ConsoleLogins:
    def __init__(self, client: redis.Redis, public_url: str) -> None:
        self._r = client
        self._base = public_url.rstrip("/")

    def link(self, account: AccountView) -> str:
        """A one-time login link for a chief or staff member; NotStaff for anyone else (nothing is issued)."""
        if account.role not in CONSOLE_ROLES:
            raise NotStaff(f"{account.openid} is {account.role}, not a chief or staff member")
        token = secrets.token_urlsafe(32)
        self._r.set(_key(token), str(account.user_id), ex=LINK_SECONDS)
        return f"{self._base}/console/login/{token}"

    def redeem(self, token: str) -> int | None:
        """The user a link logs in, once; None when it was used, has expired or never existed."""
        raw = self._r.getdel(_key(token))
        return int(raw) if raw is not None else None
