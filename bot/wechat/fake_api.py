"""A fake of api.weixin.qq.com on loopback: token, custom/template messages, media/get, menu/create.

It records every call and can be told to fail: an injected errcode (-1, 40001, 42001, 45009, 45015, 45047,
40007, …) or a delay, for the next N calls to a path. Tokens are checked like WeChat does: an unknown or
revoked token gets 40001, an expired one 42001, and fetching a new token revokes the old one.

Run it as a thread (``FakeWeChatServer().start()``) or as a process::

    python -m bot.wechat.fake_api --port 18080

Control endpoints (for the process form): GET /_fake/calls, POST /_fake/inject, POST /_fake/reset,
POST /_fake/expire-tokens.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request
from PIL import Image
from werkzeug.serving import make_server

ERRMSG = {
    -1: "system error", 40001: "invalid credential, access_token is invalid or not latest",
    42001: "access_token expired", 45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled", 45047: "out of response count limit",
    40007: "invalid media_id", 40003: "invalid openid", 43004: "require subscribe",
}


def sample_jpeg(width: int = 3000, height: int = 2000, seed: str = "") -> bytes:
    """A real JPEG with EXIF (a GPS tag among them), larger than 2048 px so resizing can be checked.

    Each seed paints a different scene (random blocks of light and dark), so that two media ids are two
    different photos to a perceptual hash, and the same seed is the same photo.
    """
    img = Image.new("RGB", (width, height), (128, 128, 128))
    rng = random.Random(seed)
    cols, rows = 8, 6
    for i in range(cols):
        for j in range(rows):
            shade = rng.randrange(256)
            img.paste((shade, (shade * 7) % 256, 255 - shade),
                      (i * width // cols, j * height // rows, (i + 1) * width // cols, (j + 1) * height // rows))
    exif = Image.Exif()
    exif[0x010F] = "FakePhone"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 35.0)}  # GPSInfo: the kind of detail that must be stripped
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70, exif=exif)
    return buf.getvalue()


@dataclass
class Injection:
    errcode: int | None
    delay: float
    times: int


@dataclass
class Call:
    path: str
    params: dict[str, str]
    body: Any
    at: float
    answered: Any = None


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    injections: dict[str, list[Injection]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (monotonic)
    chunked: set[str] = field(default_factory=set)  # media ids served without a Content-Length
    media: dict[str, bytes] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class FakeWeChatServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, token_ttl: int = 7200) -> None:
        self._lock = threading.Lock()
        self._state = _State()
        self._token_ttl = token_ttl
        self.jpeg = sample_jpeg()
        self._photos: dict[str, bytes] = {}  # generated photos by media id (same id, same photo)
        self.app = self._build_app()
        self._server = make_server(host, port, self.app, threaded=True)
        self.host, self.port = host, self._server.server_port
        self._thread: threading.Thread | None = None

    # --- control, in-process ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The value for WECHAT_API_BASE."""
        return f"http://{self.host}:{self.port}/cgi-bin/"

    def start(self) -> FakeWeChatServer:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="fake-wechat")
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread (the process form)."""
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def inject(self, path: str, errcode: int | None = None, delay: float = 0.0, times: int = 1) -> None:
        """Make the next ``times`` calls to ``path`` (e.g. ``message/custom/send``) fail or stall."""
        with self._lock:
            self._state.injections.setdefault(path, []).append(Injection(errcode, delay, times))

    def calls(self, path: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._state.calls if path is None or c.path == path]

    def reset(self) -> None:
        with self._lock:
            self._state = _State()

    def expire_tokens(self) -> None:
        """Every issued token now answers 42001, as after WeChat's two hours."""
        with self._lock:
            for token in self._state.tokens:
                self._state.tokens[token] = 0.0

    def add_media(self, media_id: str, data: bytes, chunked: bool = False) -> None:
        """Serve ``data`` for this media id; ``chunked`` sends it without a Content-Length, in pieces."""
        with self._lock:
            self._state.media[media_id] = data
            if chunked:
                self._state.chunked.add(media_id)

    # --- the fake API --------------------------------------------------------------------------------
    def _photo(self, media_id: str) -> bytes:
        with self._lock:
            if media_id not in self._photos:
                self._photos[media_id] = sample_jpeg(seed=media_id)
            return self._photos[media_id]

    def _take_injection(self, path: str) -> Injection | None:
        with self._lock:
            queue = self._state.injections.get(path) or []
            if not queue:
                return None
            inj = queue[0]
            inj.times -= 1
            if inj.times <= 0:
                queue.pop(0)
            return Injection(inj.errcode, inj.delay, 1)

    def _record(self, path: str) -> Call:
        body: Any = request.get_data(as_text=True)
        with contextlib.suppress(ValueError):  # not JSON: keep the text as it came
            body = json.loads(body) if body else None
        call = Call(path, dict(request.args), body, time.time())
        with self._lock:
            self._state.calls.append(call)
        return call

    def _token_error(self) -> int | None:
        token = request.args.get("access_token", "")
        with self._lock:
            expiry = self._state.tokens.get(token)
        if expiry is None:
            return 40001
        if expiry < time.monotonic():
            return 42001
        return None

    def _build_app(self) -> Flask:
        app = Flask("fake_wechat")

        def error(code: int) -> Response:
            return jsonify({"errcode": code, "errmsg": ERRMSG.get(code, "error")})

        def guarded(path: str, call: Call) -> Response | None:
            inj = self._take_injection(path)
            if inj and inj.delay:
                time.sleep(inj.delay)
            if inj and inj.errcode is not None:
                call.answered = inj.errcode
                return error(inj.errcode)
            if path != "token":
                code = self._token_error()
                if code:
                    call.answered = code
                    return error(code)
            return None

        @app.get("/cgi-bin/token")
        def token() -> Response:
            call = self._record("token")
            if (failed := guarded("token", call)) is not None:
                return failed
            if request.args.get("grant_type") != "client_credential" or not request.args.get("appid"):
                return error(40002)
            new = f"tok-{next(self._state.counter)}-{int(time.time() * 1000)}"
            with self._lock:
                self._state.tokens = {new: time.monotonic() + self._token_ttl}  # the old token stops working
            call.answered = 0
            return jsonify({"access_token": new, "expires_in": self._token_ttl})

        def json_api(path: str) -> Response:
            call = self._record(path)
            if (failed := guarded(path, call)) is not None:
                return failed
            call.answered = 0
            extra = {"msgid": next(self._state.counter)} if path == "message/template/send" else {}
            return jsonify({"errcode": 0, "errmsg": "ok", **extra})

        app.add_url_rule("/cgi-bin/message/custom/send", "custom", lambda: json_api("message/custom/send"),
                         methods=["POST"])
        app.add_url_rule("/cgi-bin/message/template/send", "template",
                         lambda: json_api("message/template/send"), methods=["POST"])
        app.add_url_rule("/cgi-bin/menu/create", "menu", lambda: json_api("menu/create"), methods=["POST"])

        @app.post("/cgi-bin/qrcode/create")
        def qrcode_create() -> Response:
            call = self._record("qrcode/create")
            if (failed := guarded("qrcode/create", call)) is not None:
                return failed
            call.answered = 0
            body = call.body if isinstance(call.body, dict) else {}
            scene = str(((body.get("action_info") or {}).get("scene") or {}).get("scene_str", ""))
            code = hashlib.sha1(scene.encode()).hexdigest()[:16]
            return jsonify({"ticket": f"fake-ticket-{code}", "url": f"http://weixin.qq.com/q/fake-{code}"})

        @app.get("/cgi-bin/media/get")
        def media_get() -> Response:
            call = self._record("media/get")
            if (failed := guarded("media/get", call)) is not None:
                return failed
            media_id = request.args.get("media_id", "")
            with self._lock:
                data = self._state.media.get(media_id)
            if data is None and media_id.startswith("media-"):
                data = self._photo(media_id)  # any media-* id is a photo the user just sent
            if data is None:
                call.answered = 40007
                return error(40007)
            call.answered = 0
            headers = {"Content-Disposition": f'attachment; filename="{media_id}.jpg"'}
            if media_id in self._state.chunked:
                body = data
                pieces = (body[i:i + 65536] for i in range(0, len(body), 65536))
                return Response(pieces, mimetype="image/jpeg", headers=headers)
            return Response(data, mimetype="image/jpeg", headers=headers)

        @app.post("/cgi-bin/media/upload")
        def media_upload() -> Response:
            call = self._record("media/upload")
            if (failed := guarded("media/upload", call)) is not None:
                return failed
            upload = request.files.get("media")
            if upload is None or request.args.get("type") not in ("image", "voice", "video", "thumb"):
                call.answered = 40004
                return error(40004)
            media_id = f"up-{next(self._state.counter)}"
            with self._lock:
                self._state.media[media_id] = upload.read()
            call.answered = 0
            return jsonify({"type": request.args["type"], "media_id": media_id, "created_at": int(time.time())})

        @app.get("/_fake/calls")
        def list_calls() -> Response:
            return jsonify([c.__dict__ for c in self.calls()])

        @app.post("/_fake/inject")
        def inject() -> Response:
            doc = request.get_json(force=True)
            self.inject(doc["path"], doc.get("errcode"), float(doc.get("delay", 0)), int(doc.get("times", 1)))
            return jsonify({"ok": True})

        @app.post("/_fake/reset")
        def reset() -> Response:
            self.reset()
            return jsonify({"ok": True})

        @app.post("/_fake/expire-tokens")
        def expire() -> Response:
            self.expire_tokens()
            return jsonify({"ok": True})

        return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18080)
    args = parser.parse_args()
    server = FakeWeChatServer(args.host, args.port)
    print(f"fake WeChat API on {server.base_url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
