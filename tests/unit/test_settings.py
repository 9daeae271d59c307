from pathlib import Path

from bot.core.settings import DEV_TOKEN, REAL_WECHAT_API, Settings


def test_embedded_defaults_need_no_environment(tmp_path: Path) -> None:
    s = Settings.from_env({"ALLEYBOT_VAR_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'alleybot.db'}"
    assert s.uses_fake_redis and not s.uses_real_wechat_client
    assert s.wechat_token == DEV_TOKEN and s.wechat_api_base == REAL_WECHAT_API
    assert s.nlu_backend == "builtin" and s.reply_budget_seconds == 4.0 and s.max_body_bytes == 1 << 20


def test_postgres_urls_use_the_shipped_driver() -> None:
    for url in ("postgresql://u@h/db", "postgres://u@h/db"):
        assert Settings.from_env({"DATABASE_URL": url}).database_url == "postgresql+psycopg://u@h/db"


def test_api_base_is_normalised_to_cgi_bin() -> None:
    for value in ("http://127.0.0.1:9000", "http://127.0.0.1:9000/", "http://127.0.0.1:9000/cgi-bin"):
        assert Settings.from_env({"WECHAT_API_BASE": value}).wechat_api_base == "http://127.0.0.1:9000/cgi-bin/"


def test_credentials_switch_to_the_real_client() -> None:
    s = Settings.from_env({"WECHAT_APPID": "wx1", "WECHAT_SECRET": "s", "REDIS_URL": "redis://x:1/0"})
    assert s.uses_real_wechat_client and not s.uses_fake_redis
