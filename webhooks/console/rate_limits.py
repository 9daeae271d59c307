"""Login rate limits (Flask-Limiter, counted in Redis so that every gunicorn worker shares them).

Login tokens (128 bits) and codes (bound to the browser that showed them) are not guessable; the limits keep a
script from hammering the pages that issue them, and bound how many codes one browser page is shown. (Wrong
codes sent from WeChat are limited per sender in bot/accounts/console_login.py.)
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from bot.core.settings import Settings


def browser_page() -> str:
    """The browser session that shows a code (named here on its first visit, as the login page would). A script
    that keeps no cookie is a new page on every load: the per-address limit is what bounds it."""
    if not isinstance(session.get("browser"), str):
        session["browser"] = secrets.token_urlsafe(16)
    return str(session["browser"])


def _new_code(response: Response) -> bool:
    return bool(g.get("new_code"))  # set by the login page when it issued a code (a reload shows the same one)


Counted = tuple[str, Callable[[], str], Callable[[Response], bool] | None]
# endpoint: (limit, counted per, counted only when); limits a person never meets using the pages as meant
LIMITS: dict[str, list[Counted]] = {
    "console.login_link": [("20 per minute", get_remote_address, None)],  # opening one-time links
    "console.login": [("30 per minute", get_remote_address, None),  # showing the code page
                      ("10 per hour", browser_page, _new_code)],  # new codes shown to one browser page
    "console.login_status": [("120 per minute", get_remote_address, None)],  # the page asks every 1.5 s
}


def init_limits(app: Flask, settings: Settings) -> Limiter:
    """Put the limits on the console's login routes: counted in the bot's Redis, or in memory for the embedded
    single-process default (which keeps all its state in process)."""
    limiter = Limiter(key_func=get_remote_address, app=app, storage_uri=settings.redis_url or "memory://",
                      key_prefix="alleybot:limits", headers_enabled=False)  # base.py renders the 429 page
    # Its app-wide hooks would run on every WeChat callback (~0.1 ms each, and the webhook has no limits): the
    # decorated views check their own limits, so the check before requests goes, and what it does after them
    # (counting a conditional limit, releasing its context) runs for the console's requests only.
    def ours(f: Any) -> bool:
        return getattr(f, "__self__", None) is limiter or limiter in getattr(f, "args", ())

    app.before_request_funcs[None] = [f for f in app.before_request_funcs.get(None, []) if not ours(f)]
    for hooks in (app.after_request_funcs, app.teardown_request_funcs):
        moved = [f for f in hooks.get(None, []) if ours(f)]
        hooks[None] = [f for f in hooks.get(None, []) if not ours(f)]
        hooks.setdefault("console", []).extend(moved)
    for endpoint, limits in LIMITS.items():
        view: Any = app.view_functions[endpoint]
        for value, key, when in limits:
            view = limiter.limit(value, key_func=key, deduct_when=when)(view)
        app.view_functions[endpoint] = view
    return limiter
