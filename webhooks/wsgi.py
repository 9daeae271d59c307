"""WSGI entry point for gunicorn: ``gunicorn -w 4 webhooks.wsgi:app``."""

import sys

from bot.core.config import ConfigError
from bot.core.logging_setup import configure_logging
from bot.core.settings import Settings
from webhooks.app import create_app

settings = Settings.from_env()
configure_logging(settings.log_level)
try:
    app = create_app(settings)
except ConfigError as exc:  # a clerk's typo in config/ must read as one line, not a traceback per worker
    print(exc, file=sys.stderr)
    raise SystemExit(2) from None
