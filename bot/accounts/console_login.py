"""Logging in to the staff console through WeChat, with no passwords: one-time links a chief or staff member
gets in chat (工作台) or an administrator prints (`alleybot console login-link`), and 6-digit codes a desktop
browser shows and the person sends from WeChat (登录 CODE), which log that browser in.

A link's token is kept in Redis only as its SHA-256, with its TTL, and is taken with GETDEL: it works once,
for LINK_SECONDS, and a copy of the Redis data logs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets

import redis

from bot.accounts.service import AccountView

LINK_SECONDS = 600
CODE_SECONDS = 300
WRONG_CODES = 5  # wrong codes a sender may send per CODE_SECONDS before being told to wait
CONSOLE_ROLES = ("chief", "staff")


class NotStaff(Exception):
    """The console is for chiefs and street-office staff."""


def _key(token: str) -> str:
    return "alleybot:console:link:" + hashlib.sha256(token.encode()).hexdigest()


def _code_key(code: str) -> str:
    return "alleybot:console:code:" + hashlib.sha256(code.encode()).hexdigest()


def _waiting_key(browser: str) -> str:
    return "alleybot:console:waiting:" + hashlib.sha256(browser.encode()).hexdigest()


class CodeRefused(Exception):
    def __init__(self, why: str) -> None:
        self.why = why  # wrong (unknown, used or expired) | limited (too many wrong codes lately)
        super().__init__(why)


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

    def code_for(self, browser: str) -> str:
        """A 6-digit code for the browser session ``browser`` (a random id kept in its cookie), valid CODE_SECONDS."""
        for _ in range(20):
            code = f"{secrets.randbelow(10**6):06d}"
            if self._r.set(_code_key(code), browser, nx=True, ex=CODE_SECONDS):  # never two browsers on one code
                return code
        raise RuntimeError("no free login code")  # a million codes in use: not a street office's console

    def confirm(self, code: str, account: AccountView) -> None:
        """登录 CODE from WeChat: the browser that shows ``code`` is logged in as ``account`` on its next request."""
        if account.role not in CONSOLE_ROLES:
            raise NotStaff(f"{account.openid} is {account.role}, not a chief or staff member")
        wrong = f"alleybot:console:wrong:{account.user_id}"
        if int(self._r.get(wrong) or 0) >= WRONG_CODES:
            raise CodeRefused("limited")
        browser = self._r.getdel(_code_key(code))
        if browser is None:
            pipe = self._r.pipeline()
            pipe.incr(wrong)
            pipe.expire(wrong, CODE_SECONDS)
            pipe.execute()
            raise CodeRefused("wrong")
        name = browser.decode() if isinstance(browser, bytes) else str(browser)
        self._r.set(_waiting_key(name), str(account.user_id), ex=CODE_SECONDS)

    def confirmed(self, browser: str) -> int | None:
        """The user a code shown to ``browser`` was confirmed by, once; None while nobody has."""
        raw = self._r.getdel(_waiting_key(browser))
        return int(raw) if raw is not None else None
