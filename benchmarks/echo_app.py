"""The baseline: a bare Flask + wechatpy endpoint that checks the signature and echoes the text back.

It does what every WeChat webhook must do and nothing more, so the ratio of the bot's throughput to this
one's is the cost of everything the bot adds (dedupe, locks, state, routing, logging to the database).
"""

import os

from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

TOKEN = os.environ.get("WECHAT_TOKEN", "bench-token")
app = Flask(__name__)


@app.post("/wechat")
def echo() -> Response:
    try:
        check_signature(TOKEN, request.args.get("signature", ""), request.args.get("timestamp", ""),
                        request.args.get("nonce", ""))
    except InvalidSignatureException:
        return Response("forbidden", status=403)
    msg = parse_message(request.get_data())
    content = getattr(msg, "content", None) or msg.type
    return Response(TextReply(message=msg, content=content).render(), mimetype="application/xml")
