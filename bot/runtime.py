"""The runtime: every long-lived object one process needs, built once from Settings."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

import redis
from sqlalchemy import Engine, text

# Each feature's jobs register themselves by name when imported: the runtime is where all are known.
from bot.accounts import jobs as _account_jobs  # noqa: F401
from bot.accounts.alley_rows import AlleyRows
from bot.accounts.audit_log import AuditLog
from bot.accounts.console_login import ConsoleLogins
from bot.accounts.inbox import Inbox
from bot.accounts.scene_codes import SceneCodes
from bot.accounts.service import AccountError, Accounts, AccountView
from bot.accounts.texts import ROLE_LABELS
from bot.broadcasts import jobs as _broadcast_jobs  # noqa: F401
from bot.broadcasts.service import Broadcasts
from bot.chiefs import jobs as _chief_jobs  # noqa: F401
from bot.chiefs.assessment import Assessment
from bot.chiefs.ledger import AlleyLedgers
from bot.chiefs.log import ChiefLog
from bot.chiefs.progress import ProgressNotices
from bot.core.config import AppConfig, load_config
from bot.core.db import UowFactory, make_engine, uow_factory
from bot.core.dedupe import Deduper
from bot.core.dialogue import DialogueStore
from bot.core.gate import MessageGate
from bot.core.jobs import JobQueue
from bot.core.redis_conn import connect
from bot.core.settings import Settings
from bot.issues import jobs as _issue_jobs  # noqa: F401
from bot.issues.notify import IssueNotifier
from bot.issues.photo_files import LocalPhotoStore
from bot.issues.photos import IssuePhotos
from bot.issues.service import Issues
from bot.issues.statistics import IssueStatistics
from bot.issues.templates import ReplyTemplates
from bot.notices import jobs as _notice_jobs  # noqa: F401
from bot.notices.service import Notices
from bot.parking.knowledge import ParkingKB, load_parking
from bot.parking.service import ParkingAnswers
from bot.polls import jobs as _poll_jobs  # noqa: F401
from bot.polls.service import Polls
from bot.stewards import jobs as _steward_jobs  # noqa: F401
from bot.stewards.ledger import Ledger
from bot.stewards.patrols import Patrols
from bot.stewards.rewards import Rewards
from bot.stewards.service import Stewards
from bot.wechat.api import ConsoleWeChatAPI, WeChatAPI, WechatpyAPI
from bot.wechat.messenger import Messenger
from bot.wechat.replay import ReplayGuard
from nlu.factory import make_nlu
from nlu.gazetteer import Gazetteer
from nlu.interface import NLU
from nlu.lazy import LazyNLU

log = logging.getLogger(__name__)


@dataclass
class NLUStatus:
    """Which NLU backend answered last: /healthz shows it so an operator sees a silent fallback."""

    last_backend: str | None = None


@dataclass
class Runtime:
    settings: Settings
    config: AppConfig
    engine: Engine
    uow: UowFactory
    redis: redis.Redis
    wechat: WeChatAPI
    nlu: NLU  # a LazyNLU unless given: loaded on first use (the webhook warms it at start-up)
    dialogue: DialogueStore
    deduper: Deduper
    replay_guard: ReplayGuard
    accounts: Accounts
    inbox: Inbox
    messenger: Messenger
    parking: ParkingAnswers
    nlu_status: NLUStatus = field(default_factory=NLUStatus)
    jobs: JobQueue = field(init=False)
    gate: MessageGate = field(init=False)  # a message's two Redis round trips (claim, lock, state; and back)
    console_logins: ConsoleLogins = field(init=False)
    audit_log: AuditLog = field(init=False)  # the console's actions, read by staff
    scene_codes: SceneCodes = field(init=False)  # an alley's QR code for its 公示牌
    polls: Polls = field(init=False)  # needs the job queue: a new poll is pushed to its audience
    notices: Notices = field(init=False)
    issues: Issues = field(init=False)  # queues photo downloads and notifications
    issue_photos: IssuePhotos = field(init=False)
    issue_stats: IssueStatistics = field(init=False)  # the console's 概览
    reply_templates: ReplyTemplates = field(init=False)  # 常用回复
    chief_log: ChiefLog = field(init=False)  # 街巷长日志
    assessment: Assessment = field(init=False)  # 考核
    ledgers: AlleyLedgers = field(init=False)  # 台账
    progress_notices: ProgressNotices = field(init=False)  # 定期公开
    issue_notifier: IssueNotifier = field(init=False)
    stewards: Stewards = field(init=False)
    patrols: Patrols = field(init=False)
    rewards: Rewards = field(init=False)
    ledger: Ledger = field(init=False)
    broadcasts: Broadcasts = field(init=False)

    @property
    def gazetteer(self) -> Gazetteer:
        return self.nlu.gazetteer

    def warm_up(self) -> None:
        """Load what the first message would otherwise wait for (the NLU model, jieba's dictionary, the parking
        index)."""
        _ = self.nlu.name
        self.parking.warm_up()

    @classmethod
    def build(cls, settings: Settings, *, wechat: WeChatAPI | None = None, config: AppConfig | None = None,
              nlu: NLU | None = None, parking_kb: ParkingKB | None = None) -> Runtime:
        """Build every service; ``config``, ``nlu`` and ``parking_kb`` are read from the settings unless given
        (tests share one reading of the same files instead of parsing them again for every test)."""
        config = config or load_config(settings.config_dir)
        engine = make_engine(settings.database_url)
        uow = uow_factory(settings.database_url, engine)
        client = connect(settings.redis_url)
        if wechat is None:
            wechat = (WechatpyAPI(settings.wechat_appid, settings.wechat_secret, settings.wechat_api_base, client)
                      if settings.uses_real_wechat_client else ConsoleWeChatAPI())
        vocabulary = config.vocabulary()
        nlu = nlu or LazyNLU(lambda: make_nlu(settings.nlu_options, vocabulary))
        parking_kb = parking_kb or load_parking(settings.config_dir / "parking.yml", set(config.street_offices),
                                                frozenset(o.district for o in config.street_offices.values()))
        alley_rows = AlleyRows(uow)
        rt = cls(
            settings=settings,
            config=config,
            engine=engine,
            uow=uow,
            redis=client,
            wechat=wechat,
            nlu=nlu,
            dialogue=DialogueStore(client, settings.dialogue_ttl_seconds),
            deduper=Deduper(client, settings.dedupe_ttl_seconds),
            replay_guard=ReplayGuard(),
            accounts=Accounts(uow, alley_rows),
            inbox=Inbox(uow, alley_rows),
            messenger=Messenger(uow, wechat, settings.wechat_notice_template_id),
            parking=ParkingAnswers(uow, parking_kb, config, settings.nlu_cache_dir),
        )
        rt.jobs = JobQueue(client, inline=settings.uses_fake_redis, runtime=rt)
        rt.gate = MessageGate(client, rt.deduper, rt.dialogue)
        rt.console_logins = ConsoleLogins(client, settings.public_url)
        rt.audit_log = AuditLog(uow, ROLE_LABELS)
        rt.scene_codes = SceneCodes(client, wechat)
        rt.polls = Polls(uow, config,
                         announce=lambda poll_id, opens: rt.jobs.enqueue("push_poll", at=opens, poll_id=poll_id))
        rt.wire_issues()
        return rt

    def grant_role(self, openid: str, role: str, alley: str | None) -> AccountView:
        """Give a role, as an administrator (CLI, simulator). A steward gets what an approved application
        gives (membership of the alley, role, the approval notice), not just the word on their account."""
        if role == "steward":
            if not alley:
                raise AccountError("a steward serves an alley: name it")
            self.stewards.appoint(openid, alley)
            view = self.accounts.get(openid)
            assert view is not None
            return view
        return self.accounts.grant_role(openid, role, alley)

    def ping_database(self) -> str:
        """One round trip to the database (for /healthz); the backend's name."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return self.engine.dialect.name

    def with_changes(self, **changes: Any) -> Runtime:
        """A copy with some fields replaced that shares this runtime's queue and services (tests use it)."""
        copy = dataclasses.replace(self, **changes)
        for name in ("jobs", "audit_log", "polls", "notices", "issues", "issue_photos", "issue_stats",
                     "reply_templates", "chief_log", "assessment", "ledgers", "issue_notifier", "stewards",
                     "patrols", "rewards", "ledger", "broadcasts", "progress_notices"):
            setattr(copy, name, getattr(self, name))
        copy.gate = MessageGate(copy.redis, copy.deduper, copy.dialogue)
        copy.console_logins = ConsoleLogins(copy.redis, copy.settings.public_url)
        copy.scene_codes = SceneCodes(copy.redis, copy.wechat)
        return copy

    def wire_issues(self) -> None:
        """Build the 随手拍 services on this runtime's queue, API and stores (again after a test swaps one)."""
        self.notices = Notices(self.uow, self.messenger, self.jobs.enqueue)
        self.issues = Issues(self.uow, self.config, enqueue=self.jobs.enqueue,
                             store=LocalPhotoStore(self.settings.photo_dir))
        self.issue_photos = IssuePhotos(self.uow, self.config, self.wechat, LocalPhotoStore(self.settings.photo_dir),
                                        enqueue=self.jobs.enqueue)
        self.issue_stats = IssueStatistics(self.uow, self.config, self.uow.dialect)
        self.reply_templates = ReplyTemplates(self.uow, self.config)
        self.chief_log = ChiefLog(self.uow, self.config)
        self.assessment = Assessment(self.uow, self.config)
        self.ledgers = AlleyLedgers(self.uow, self.config, self.chief_log)
        self.issue_notifier = IssueNotifier(self.uow, self.issues, self.notices, self.issue_photos, self.polls)
        self.stewards = Stewards(self.uow, self.config, enqueue=self.jobs.enqueue)
        self.patrols = Patrols(self.uow, self.config, enqueue=self.jobs.enqueue)
        self.rewards = Rewards(self.uow, self.config)
        self.ledger = Ledger(self.uow)
        self.broadcasts = Broadcasts(self.uow, self.config, self.messenger, self.notices, self.redis,
                                     enqueue=self.jobs.enqueue)
        self.progress_notices = ProgressNotices(self.uow, self.config, self.ledgers, self.broadcasts)
