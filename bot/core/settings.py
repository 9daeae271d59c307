"""Settings read once from the environment; nothing else in the project touches ``os.environ``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nlu.rasa_project import RasaPlaces
from nlu.vocabulary import NLUOptions

REAL_WECHAT_API = "https://api.weixin.qq.com/cgi-bin/"
# The embedded default signs with this token so that `alleybot chat` and `alleybot serve` agree out of the box.
DEV_TOKEN = "alleybot-dev"


def _normalise_api_base(value: str) -> str:
    """Accept ``http://host:port`` or ``…/cgi-bin`` and always end in ``/cgi-bin/`` like wechatpy expects."""
    base = value.strip().rstrip("/")
    if not base.endswith("/cgi-bin"):
        base += "/cgi-bin"
    return base + "/"


def _database_url(value: str | None, var_dir: Path) -> str:
    if not value:
        return f"sqlite:///{var_dir / 'alleybot.db'}"
    # psycopg 3 is the driver we ship; plain postgresql:// URLs would ask SQLAlchemy for psycopg2.
    for prefix in ("postgresql://", "postgres://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix):]
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    wechat_token: str
    wechat_appid: str
    wechat_secret: str
    wechat_aes_key: str | None
    wechat_aes_key_previous: str | None
    wechat_api_base: str
    wechat_notice_template_id: str | None
    nlu_backend: str
    rasa_url: str | None
    rasa_token: str | None
    config_dir: Path
    var_dir: Path
    nlu_cache_dir: Path
    photo_dir: Path
    wechat_safe_mode: bool = False
    rasa_venv: Path | None = None  # Rasa's own Python 3.10 virtualenv (default under ~/.cache/alleybot)
    rasa_models: Path | None = None  # trained Rasa models by fingerprint (default beside the venv)
    environment: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # what child processes inherit
    reply_budget_seconds: float = 4.0
    max_body_bytes: int = 1024 * 1024
    dedupe_ttl_seconds: int = 600
    dialogue_ttl_seconds: int = 1800
    # The inbound log is kept this long: past WeChat's retries it only answers "what became of my message".
    inbox_retention_days: int = 180
    # The base of links the bot sends (console login links); the console's session cookies are signed with
    # secret_key (None: a random key kept in the var directory, shared by the processes that share it).
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str | None = field(default=None, repr=False)
    # Reverse proxies in front of the app whose X-Forwarded-For / -Proto are believed (0: none, the peer's
    # address is the client's). The console's rate limits and audit log use that address.
    trusted_proxies: int = 0
    # The console maps' tile URL template instead of config/console.yml's ("" = no tiles; None = the config's).
    map_tiles: str | None = None
    log_level: str = "INFO"

    @property
    def nlu_options(self) -> NLUOptions:
        return NLUOptions(self.nlu_backend, self.nlu_cache_dir, self.rasa_url, self.rasa_token)

    @property
    def rasa_places(self) -> RasaPlaces:
        default = RasaPlaces()
        return RasaPlaces(self.rasa_venv or default.venv, self.rasa_models or default.models)

    @property
    def uses_fake_redis(self) -> bool:
        return not self.redis_url

    @property
    def uses_real_wechat_client(self) -> bool:
        """The wechatpy client needs credentials; without them outbound calls go to the console fake."""
        return bool(self.wechat_appid and self.wechat_secret)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        var_dir = Path(env.get("ALLEYBOT_VAR_DIR", "var")).resolve()
        default_config = Path(__file__).resolve().parents[2] / "config"  # the repository's config/
        return cls(
            database_url=_database_url(env.get("DATABASE_URL"), var_dir),
            redis_url=env.get("REDIS_URL") or None,
            wechat_token=env.get("WECHAT_TOKEN") or DEV_TOKEN,
            wechat_appid=env.get("WECHAT_APPID", ""),
            wechat_secret=env.get("WECHAT_SECRET", ""),
            wechat_aes_key=env.get("WECHAT_AES_KEY") or None,
            wechat_aes_key_previous=env.get("WECHAT_AES_KEY_PREVIOUS") or None,
            wechat_api_base=_normalise_api_base(env.get("WECHAT_API_BASE") or REAL_WECHAT_API),
            # Optional: the template used when a customer-service message is not allowed (outside 48 h).
            wechat_notice_template_id=env.get("WECHAT_NOTICE_TEMPLATE_ID") or None,
            nlu_backend=(env.get("NLU_BACKEND") or "builtin").lower(),
            rasa_url=env.get("RASA_URL") or None,
            rasa_token=env.get("RASA_TOKEN") or None,  # rasa run --auth-token: without it Rasa is open
            config_dir=Path(env.get("ALLEYBOT_CONFIG_DIR") or default_config).resolve(),
            var_dir=var_dir,
            # Trained built-in NLU models, keyed by a hash of nlu/data and config: safe to share.
            nlu_cache_dir=Path(env.get("ALLEYBOT_NLU_CACHE") or var_dir / "nlu").resolve(),
            # Photos of reported problems (local storage; see bot/photos.py for the storage interface).
            photo_dir=Path(env.get("ALLEYBOT_PHOTO_DIR") or var_dir / "photos").resolve(),
            # 安全模式 in the account's settings: every callback must be encrypted; plaintext ones are refused.
            wechat_safe_mode=(env.get("WECHAT_SAFE_MODE") or "").lower() in ("1", "true", "yes", "on"),
            rasa_venv=Path(env["ALLEYBOT_RASA_VENV"]) if env.get("ALLEYBOT_RASA_VENV") else None,
            rasa_models=Path(env["ALLEYBOT_RASA_MODELS"]) if env.get("ALLEYBOT_RASA_MODELS") else None,
            environment=tuple(sorted(env.items())),
            reply_budget_seconds=float(env.get("ALLEYBOT_REPLY_BUDGET", "4.0")),
            inbox_retention_days=int(env.get("ALLEYBOT_INBOX_RETENTION_DAYS", "180")),
            public_url=(env.get("ALLEYBOT_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
            secret_key=env.get("ALLEYBOT_SECRET_KEY") or None,
            trusted_proxies=int(env.get("ALLEYBOT_TRUSTED_PROXIES") or "0"),
            map_tiles=_map_tiles(env.get("ALLEYBOT_MAP_TILES")),
            log_level=env.get("ALLEYBOT_LOG_LEVEL", "INFO"),
        )


def _map_tiles(value: str | None) -> str | None:
    """ALLEYBOT_MAP_TILES: unset keeps config/console.yml's template; `none` (or empty) means no tiles."""
    if value is None:
        return None
    return "" if value.strip().lower() in ("", "none") else value.strip()
