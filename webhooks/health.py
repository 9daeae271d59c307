"""``/healthz``: database, Redis and NLU, as JSON, for load balancers and for the person on call."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from bot.dispatch import Bot

bp = Blueprint("health", __name__)


def _check(fn: Any) -> dict[str, Any]:
    try:
        return {"ok": True, **(fn() or {})}
    except Exception as exc:  # health must report, not raise
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


@bp.get("/healthz")
def healthz() -> Response:
    """Report each dependency; 503 when any of them is down."""
    rt = current_app.extensions["alleybot"].rt if isinstance(current_app.extensions.get("alleybot"), Bot) else None
    assert rt is not None

    def database() -> dict[str, Any]:
        return {"backend": rt.ping_database()}

    def redis() -> dict[str, Any]:
        rt.redis.ping()
        return {"backend": "fakeredis" if rt.settings.uses_fake_redis else "redis"}

    def nlu() -> dict[str, Any]:
        parsed = rt.nlu.parse("你好")
        return {"backend": rt.nlu.name, "last_backend": rt.nlu_status.last_backend, "probe": parsed.intent}

    report = {"database": _check(database), "redis": _check(redis), "nlu": _check(nlu)}
    healthy = all(part["ok"] for part in report.values())
    response = jsonify({"status": "ok" if healthy else "degraded", **report})
    response.status_code = 200 if healthy else 503
    return response
