"""Flask application factory (the Flask tutorial's ``create_app``)."""

from __future__ import annotations

import logging

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.core.settings import Settings
from bot.dispatch import Bot
from bot.runtime import Runtime
from webhooks import console, health, public, wechat
from webhooks.console.rate_limits import init_limits

log = logging.getLogger(__name__)


class ConsoleSessions(SecureCookieSessionInterface):
    """The console's signed-cookie sessions, and none for WeChat's callbacks: they carry no cookie, and opening
    a session (building the signing serializer) on every message cost about 4% of the webhook's CPU."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path == "/wechat":
            return self.make_null_session(app)
        return super().open_session(app, request)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None, bot: Bot | None = None) -> Flask:
    if bot is None:
        runtime = runtime or Runtime.build(settings or Settings.from_env())
        bot = Bot(runtime)
    bot.rt.warm_up()  # before gunicorn forks: the workers share the loaded model
    app = Flask(__name__)
    app.session_interface = ConsoleSessions()
    app.config["MAX_CONTENT_LENGTH"] = bot.rt.settings.max_body_bytes
    app.extensions["alleybot"] = bot
    app.register_blueprint(wechat.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(public.bp)
    settings = bot.rt.settings
    init_limits(app, settings)
    if settings.trusted_proxies:  # behind nginx or a load balancer: the client's address is in X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies,  # type: ignore[method-assign]
                                x_proto=settings.trusted_proxies)
    app.secret_key = settings.secret_key or console.stored_secret(settings.var_dir)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
                      SESSION_COOKIE_NAME="alleybot_console")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        # Plain text, never Werkzeug's HTML page: the caller is WeChat's server or a monitoring probe.
        return Response(exc.name, status=exc.code or 500, mimetype="text/plain")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return Response("success", status=200, mimetype="text/plain")

    return app
