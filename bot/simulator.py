"""``alleybot chat``: talk to the bot in a terminal as a WeChat user would.

Every line becomes a signed WeChat callback posted through the real Flask app, so what you see is what a
phone would show, including customer-service messages pushed later (printed by the console WeChat fake).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from flask import Flask

from bot.accounts.service import AccountError
from bot.dispatch import Bot
from bot.stewards.service import StewardError
from bot.wechat.signing import Signer, event_xml, message_xml, text_xml

HELP = """命令：
  直接打字          发送文字消息
  /photo FILE       发送一张照片
  /image MEDIA_ID   发送一张已在微信服务器上的照片（测试用）
  /location LAT LNG 发送位置（GCJ-02，例如 /location 39.9097 116.3783）
  /voice 文字       发送语音（微信识别出的文字）
  /menu KEY         点击菜单（REPORT CHECKIN POINTS JOIN_STEWARD PARKING MY_ISSUES POLL BIND_ALLEY HELP）
  /scan ALLEY       扫描某条胡同的二维码关注（qrscene_<胡同>）
  /as OPENID        换一个用户
  /role ROLE [ALLEY] 把当前用户设为 resident / steward / chief / staff
  /quit             退出"""


class Simulator:
    def __init__(self, app: Flask, openid: str) -> None:
        self.app = app
        self.client = app.test_client()
        self.bot: Bot = app.extensions["alleybot"]
        s = self.bot.rt.settings
        self.signer = Signer(s.wechat_token, s.wechat_appid, s.wechat_aes_key)
        self.openid = openid

    def post(self, xml: str) -> str | None:
        req = self.signer.sign(xml)
        res = self.client.post("/wechat", query_string=req.query, data=req.body, content_type="text/xml")
        if res.status_code != 200:
            return f"（HTTP {res.status_code}: {res.get_data(as_text=True)}）"
        return self.signer.open_reply(res.get_data(), req.query)

    def text(self, content: str) -> str | None:
        return self.post(text_xml(self.openid, content))

    def voice(self, recognition: str) -> str | None:
        return self.post(message_xml(self.openid, "voice", MediaId=f"voice-{self.openid}", Format="amr",
                                     Recognition=recognition))

    def photo(self, path: str) -> str | None:
        file = Path(path).expanduser().resolve()
        if not file.is_file():
            return f"（找不到文件 {file}）"
        return self.post(message_xml(self.openid, "image", PicUrl=file.as_uri(), MediaId=f"local:{file}"))

    def image(self, media_id: str) -> str | None:
        """A photo by its WeChat MediaId (the fake WeChat API serves any ``media-*`` id as a photo)."""
        return self.post(message_xml(self.openid, "image", PicUrl=f"http://mmbiz.example/{media_id}",
                                     MediaId=media_id))

    def location(self, lat: float, lng: float, label: str = "（模拟位置）") -> str | None:
        return self.post(message_xml(self.openid, "location", Location_X=lat, Location_Y=lng, Scale=16,
                                     Label=label))

    def menu(self, key: str) -> str | None:
        return self.post(event_xml(self.openid, "CLICK", key))

    def subscribe(self, scene: str | None = None) -> str | None:
        return self.post(event_xml(self.openid, "subscribe", f"qrscene_{scene}" if scene else ""))

    def command(self, line: str) -> str | None:
        """Run one input line; returns the bot's reply (or a note from the simulator)."""
        if not line.startswith("/"):
            return self.text(line)
        try:
            parts = shlex.split(line)
        except ValueError:
            parts = line.split()
        name, args = parts[0], parts[1:]
        handlers: dict[str, Callable[[], str | None]] = {
            "/help": lambda: HELP,
            "/photo": lambda: self.photo(args[0]) if args else "用法：/photo FILE",
            "/image": lambda: self.image(args[0]) if args else "用法：/image MEDIA_ID",
            "/voice": lambda: self.voice(" ".join(args)),
            "/location": lambda: self.location(float(args[0]), float(args[1])) if len(args) == 2
            else "用法：/location LAT LNG",
            "/menu": lambda: self.menu(args[0]) if args else "用法：/menu KEY",
            "/scan": lambda: self.subscribe(args[0]) if args else "用法：/scan ALLEY",
            "/as": lambda: self._switch(args[0]) if args else f"当前用户：{self.openid}",
            "/role": lambda: self._role(args) if args else "用法：/role ROLE [ALLEY]",
        }
        if name not in handlers:
            return f"未知命令 {name}\n{HELP}"
        try:
            return handlers[name]()
        except ValueError:
            return "参数不对，/help 查看用法"

    def _switch(self, openid: str) -> str:
        self.openid = openid
        return f"（现在的身份：{openid}）"

    def _role(self, args: list[str]) -> str:
        rt = self.bot.rt
        alley = (rt.gazetteer.alley_in(args[1]) or args[1]) if len(args) > 1 else None
        try:
            view = rt.grant_role(self.openid, args[0], alley)
        except (AccountError, StewardError) as exc:
            return f"（{exc}）"
        served = alley if args[0] == "steward" else view.duty_alley
        return f"（{self.openid} 现在是 {view.role}{' · ' + served if served else ''}）"


def repl(app: Flask, openid: str, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    sim = Simulator(app, openid)
    print(f"街巷助手 模拟器 —— 你是 {openid}。输入 /help 查看命令，/quit 退出。", file=stdout)
    print(f"机器人：{sim.subscribe()}", file=stdout, flush=True)
    while True:
        print("你：", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line or line.strip() in ("/quit", "/exit"):
            print("再见！", file=stdout)
            return
        if not line.strip():
            continue
        reply = sim.command(line.strip())
        print(f"机器人：{reply if reply is not None else '（没有回复）'}", file=stdout, flush=True)
