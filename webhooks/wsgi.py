"""WSGI entry point for gunicorn: ``gunicorn -w 4 webhooks.wsgi:app``."""

from bot.logging_setup import configure_logging
from bot.settings import Settings
from webhooks.app import create_app

settings = Settings.from_env()
configure_logging(settings.log_level)
app = create_app(settings)
