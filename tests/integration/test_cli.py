"""The command line of DESIGN §5 that belongs to the foundation, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.runtime import Runtime
from bot.wechat.fake_api import FakeWeChatServer


def alleybot(rt: Runtime, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    s = rt.settings
    full_env = {**os.environ, "DATABASE_URL": s.database_url, "REDIS_URL": s.redis_url or "",
                "WECHAT_APPID": s.wechat_appid, "WECHAT_SECRET": s.wechat_secret,
                "WECHAT_API_BASE": s.wechat_api_base, "ALLEYBOT_VAR_DIR": str(s.var_dir), **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=full_env,
                          timeout=60)


def test_users_grant_sets_role_and_alley(rt: Runtime) -> None:
    out = alleybot(rt, "users", "grant", "o_chief", "chief", "--alley", "光明胡同儿", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"openid": "o_chief", "role": "chief", "alley": "光明胡同"}
    account = rt.accounts.get("o_chief")
    assert account and account.role == "chief" and account.duty_alley == "光明胡同"


def test_users_grant_unknown_alley_is_a_clear_error(rt: Runtime) -> None:
    out = alleybot(rt, "users", "grant", "o_x", "steward", "--alley", "月亮胡同")
    assert out.returncode != 0 and "unknown alley" in out.stderr and "Traceback" not in out.stderr


def test_seed_json_and_nlu_parse_json(rt: Runtime) -> None:
    out = alleybot(rt, "seed", "--json")
    assert json.loads(out.stdout) == {"alleys_created": 0, "alleys_updated": 0, "rewards_created": 0}
    out = alleybot(rt, "nlu", "parse", "我住光明胡同儿", "--json")
    doc = json.loads(out.stdout)
    assert (doc["intent"], doc["entities"]) == ("bind_alley", {"alley": "光明胡同"}) and 0.5 < doc["confidence"] <= 1


def test_menu_push_sends_the_config_menu(rt: Runtime, fake_wechat: FakeWeChatServer) -> None:
    out = alleybot(rt, "menu", "push")
    assert out.returncode == 0, out.stderr
    [call] = fake_wechat.calls("menu/create")
    assert call.body == rt.config.menu


def test_invalid_config_stops_start_up_with_a_message(rt: Runtime, tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "config"
    shutil.copytree(rt.settings.config_dir, broken)
    (broken / "categories.yml").write_text("categories: []\ntriage: {}\n", encoding="utf-8")
    out = alleybot(rt, "seed", env={"ALLEYBOT_CONFIG_DIR": str(broken)})
    assert out.returncode == 2
    assert "categories.yml" in out.stderr and "handling_days" in out.stderr and "Traceback" not in out.stderr


def test_chat_runs_a_conversation_from_stdin(rt: Runtime) -> None:
    s = rt.settings
    env = {**os.environ, "DATABASE_URL": s.database_url, "REDIS_URL": s.redis_url or "",
           "ALLEYBOT_VAR_DIR": str(s.var_dir)}
    out = subprocess.run([sys.executable, "-m", "bot", "chat", "--as", "o_terminal"],
                         input="你好\n绑定胡同\n光明胡同\n/quit\n", capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "欢迎关注街巷助手" in out.stdout and "已为您绑定光明胡同" in out.stdout and "再见" in out.stdout


def test_every_json_command_prints_one_document_even_when_the_console_fake_sends(rt: Runtime) -> None:
    """In the embedded default the console WeChat fake prints what it sends: never into the JSON on stdout."""
    rt.accounts.bind_alley("o_json_1", "光明胡同")
    rt.accounts.seen("o_json_1")
    embedded = {"REDIS_URL": "", "WECHAT_APPID": "", "WECHAT_SECRET": ""}
    for args in (("polls", "create", "--question", "您对胡同环境满意吗", "--alley", "光明胡同", "--json"),
                 ("broadcast", "send", "--alley", "光明胡同", "--text", "明天上午停水", "--json")):
        out = alleybot(rt, *args, env=embedded)
        assert out.returncode == 0, out.stderr
        assert isinstance(json.loads(out.stdout), dict), out.stdout  # the whole of stdout is one document
        assert "o_json_1" in out.stderr  # the push went to the console, on stderr


def test_nlu_parse_with_rasa_but_no_url_is_one_clear_line(rt: Runtime) -> None:
    out = alleybot(rt, "nlu", "parse", "你好", "--backend", "rasa", "--json", env={"RASA_URL": ""})
    assert out.returncode != 0 and out.stdout == "" and "RASA_URL" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_commands_that_read_no_free_text_do_not_load_the_nlu(rt: Runtime) -> None:
    """seed, users grant (an alley by its name) and issues list start without the model or jieba's dictionary."""
    probe = ("import sys\nfrom bot.cli import cli\n"
             "for args in (['seed', '--json'], ['users', 'grant', 'o_fast', 'chief', '--alley', '光明胡同'],"
             " ['issues', 'list', '--json']):\n"
             "    cli.main(args, standalone_mode=False)\n"
             "jieba = sys.modules.get('jieba')\n"
             "loaded = [m for m in ('nlu.builtin', 'sklearn') if m in sys.modules]\n"
             "print('LOADED', loaded + (['jieba dictionary'] if jieba and jieba.dt.initialized else []))\n")
    s = rt.settings
    env = {**os.environ, "DATABASE_URL": s.database_url, "REDIS_URL": s.redis_url or "",
           "ALLEYBOT_VAR_DIR": str(s.var_dir)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "LOADED []"
    assert rt.accounts.get("o_fast").duty_alley == "光明胡同"  # type: ignore[union-attr]
