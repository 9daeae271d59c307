"""The runtime: every long-lived object one process needs, built once from Settings."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

import redis
from sqlalchemy import Engine

from bot.config import AppConfig, load_config
from bot.db import UowFactory, make_engine, uow_factory
from bot.dedupe import Deduper
from bot.dialogue import DialogueStore
from bot.jobs import JobQueue
from bot.parking_kb import load_parking
from bot.photos import LocalPhotoStore
from bot.redis_conn import connect
from bot.replay import ReplayGuard
from bot.services.accounts import Accounts
from bot.services.broadcasts import Broadcasts
from bot.services.inbox import Inbox
from bot.services.issue_notify import IssueNotifier
from bot.services.issue_photos import IssuePhotos
from bot.services.issues import Issues
from bot.services.ledger import Ledger
from bot.services.messaging import Messenger
from bot.services.notices import Notices
from bot.services.parking import ParkingAnswers
from bot.services.patrols import Patrols
from bot.services.polls import Polls
from bot.services.rewards import Rewards
from bot.services.stewards import Stewards
from bot.settings import Settings
from bot.wechat_api import ConsoleWeChatAPI, WeChatAPI, WechatpyAPI
from nlu.factory import make_nlu
from nlu.gazetteer import Gazetteer
from nlu.interface import NLU

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
    nlu: NLU
    gazetteer: Gazetteer
    dialogue: DialogueStore
    deduper: Deduper
    replay_guard: ReplayGuard
    accounts: Accounts
    inbox: Inbox
    messenger: Messenger
    parking: ParkingAnswers
    nlu_status: NLUStatus = field(default_factory=NLUStatus)
    jobs: JobQueue = field(init=False)
    polls: Polls = field(init=False)  # needs the job queue: a new poll is pushed to its audience
    notices: Notices = field(init=False)
    issues: Issues = field(init=False)  # queues photo downloads and notifications
    issue_photos: IssuePhotos = field(init=False)
    issue_notifier: IssueNotifier = field(init=False)
    stewards: Stewards = field(init=False)
    patrols: Patrols = field(init=False)
    rewards: Rewards = field(init=False)
    ledger: Ledger = field(init=False)
    broadcasts: Broadcasts = field(init=False)

    @classmethod
    def build(cls, settings: Settings, *, wechat: WeChatAPI | None = None, **overrides: Any) -> Runtime:
        config = load_config(settings.config_dir)
        engine = make_engine(settings.database_url)
        uow = uow_factory(settings.database_url, engine)
        client = connect(settings.redis_url)
        if wechat is None:
            wechat = (WechatpyAPI(settings.wechat_appid, settings.wechat_secret, settings.wechat_api_base, client)
                      if settings.uses_real_wechat_client else ConsoleWeChatAPI())
        nlu = overrides.get("nlu") or make_nlu(settings, config)
        rt = cls(
            settings=settings,
            config=config,
            engine=engine,
            uow=uow,
            redis=client,
            wechat=wechat,
            nlu=nlu,
            gazetteer=nlu.gazetteer,
            dialogue=DialogueStore(client, settings.dialogue_ttl_seconds),
            deduper=Deduper(client, settings.dedupe_ttl_seconds),
            replay_guard=ReplayGuard(client),
            accounts=Accounts(uow),
            inbox=Inbox(uow),
            messenger=Messenger(uow, wechat, settings.wechat_notice_template_id),
            parking=ParkingAnswers(uow, load_parking(settings.config_dir / "parking.yml", set(config.street_offices),
                                                    frozenset(o.district for o in config.street_offices.values())),
                                   config),
        )
        rt.jobs = JobQueue(client, inline=settings.uses_fake_redis, runtime=rt)
        rt.polls = Polls(uow, config,
                         announce=lambda poll_id, opens: rt.jobs.enqueue("push_poll", at=opens, poll_id=poll_id))
        rt.wire_issues()
        return rt

    def with_changes(self, **changes: Any) -> Runtime:
        """A copy with some fields replaced that shares this runtime's queue and services (tests use it)."""
        copy = dataclasses.replace(self, **changes)
        for name in ("jobs", "polls", "notices", "issues", "issue_photos", "issue_notifier", "stewards", "patrols",
                     "rewards", "ledger", "broadcasts"):
            setattr(copy, name, getattr(self, name))
        return copy

    def wire_issues(self) -> None:
        """Build the 随手拍 services on this runtime's queue, API and stores (again after a test swaps one)."""
        self.notices = Notices(self.uow, self.messenger, self.jobs.enqueue)
        self.issues = Issues(self.uow, self.config, enqueue=self.jobs.enqueue)
        self.issue_photos = IssuePhotos(self.uow, self.config, self.wechat, LocalPhotoStore(self.settings.photo_dir),
                                        enqueue=self.jobs.enqueue)
        self.issue_notifier = IssueNotifier(self.uow, self.issues, self.notices, self.issue_photos, self.polls)
        self.stewards = Stewards(self.uow, self.config, enqueue=self.jobs.enqueue)
        self.patrols = Patrols(self.uow, self.config, enqueue=self.jobs.enqueue)
        self.rewards = Rewards(self.uow, self.config)
        self.ledger = Ledger(self.uow)
        self.broadcasts = Broadcasts(self.uow, self.config, self.messenger, self.notices, self.redis,
                                     enqueue=self.jobs.enqueue)
