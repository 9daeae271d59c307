"""``/alleys/<name>``: an alley's public page (街巷公示), no login: who is responsible and how to reach them,
their duties, the council, this month's figures, and the resolved tickets its chief chose to show.

Nothing of a reporter appears: no openid, no name, not even their words (only the category, the date and
the handler's note), and photos only of tickets marked for the page. Cacheable for five minutes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from markupsafe import Markup

from bot.chiefs import texts as chief_texts
from bot.dispatch import Bot

bp = Blueprint("public", __name__)
CACHE = "public, max-age=300"
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _bot() -> Bot:
    bot: Bot = current_app.extensions["alleybot"]
    return bot


@bp.after_request
def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _alley(name: str) -> Any:
    config = _bot().rt.config
    spec = config.alley(name) or next((a for a in config.alleys if name in a.aliases or name == a.name + "儿"), None)
    if spec is None:
        abort(404)
    return spec


@bp.get("/alleys/<name>")
def alley(name: str) -> Response:
    """The alley's 公示 page."""
    rt = _bot().rt
    spec = _alley(name)
    office = rt.config.street_offices.get(spec.street_office)
    figures = rt.ledgers.ledger(spec.name).as_json()["month"]
    shown = rt.issues.published(spec.name)
    sign = request.args.get("print") == "1"
    qr = rt.scene_codes.svg(spec.name) if sign else None
    html = render_template("public/alley.html", alley=spec, office=office, figures=figures, shown=shown,
                           duties=chief_texts.DUTIES, sign=sign, qr=Markup(qr) if qr else None)
    return Response(html, mimetype="text/html", headers={"Cache-Control": CACHE})


@bp.get("/alleys/<name>/photos/<int:photo_id>")
def photo(name: str, photo_id: int) -> Response:
    """A photo of a ticket shown on the page (any other photo: 404)."""
    rt = _bot().rt
    spec = _alley(name)
    for issue in rt.issues.published(spec.name):
        found = next((p for p in issue.photos if p.id == photo_id and p.status == "stored"), None)
        if found is not None:
            ref = found.thumb_path if request.args.get("size") == "thumb" else found.path
            if ref:
                return Response(rt.issue_photos.file(ref), mimetype="image/jpeg", headers={"Cache-Control": CACHE})
    abort(404)


@bp.errorhandler(404)
def _missing(exc: Exception) -> tuple[str, int]:
    return render_template("public/missing.html"), 404
