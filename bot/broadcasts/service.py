"""Notices to the residents of alleys (发通知): audience, limits, delivery exactly once per person, the report.

Creating a broadcast writes one delivery row per recipient in the same transaction, so the audience is fixed
at that moment and a worker can always tell what is left. Delivering claims a row (``sending``, committed)
before calling WeChat and records the outcome right after: a restarted worker sends only ``pending`` rows,
and a row a killed worker left in ``sending`` is marked ``uncertain``, never sent twice.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import func, insert, or_, select, union, update
from sqlalchemy.orm import Session

from bot.accounts import texts as account_texts
from bot.accounts.authority import answers_for_all
from bot.broadcasts import texts
from bot.core.audit import Audit, write_audit
from bot.core.clock import BEIJING, aware
from bot.core.config import AppConfig
from bot.core.db import UnitOfWork
from bot.core.models import Alley, AlleyFollow, Broadcast, BroadcastDelivery, Issue, StewardClaim, User
from bot.notices.service import Notices
from bot.wechat.messenger import Messenger, in_window

log = logging.getLogger(__name__)

RETRYABLE = (-1, 45009)  # system busy, quota: try again later (network errors arrive as -1 too)
UNREACHABLE = (43004, 40003)  # not following us, invalid openid: recorded, skipped
# Rows claimed per transaction. Each row's fate is also written to Redis around its send (_Progress), so a
# worker killed mid-batch leaves one row of unknown fate (the one in flight), not the batch.
BATCH = 50
SCHEDULE_DAYS = 30  # a notice may be scheduled at most this far ahead
ONCE_PREFIX = "alleybot:broadcast-once:"  # a console form's token → the notice it created


@dataclass(frozen=True)
class _Claimed:
    delivery_id: int
    openid: str
    subscribed: bool
    in_window: bool
    stamp: int = 0  # when it was claimed (ms): names its progress record, so a new claim starts afresh


@dataclass(frozen=True)
class _Sent:
    delivery_id: int
    stamp: int
    state: str
    attempts: int
    errcode: int | None
    msgid: str | None


class _Progress:
    """Each claimed row's fate in Redis, one round trip per send: "attempt" before its send, the outcome with
    the next row's "attempt". Recovery reads it: an outcome is kept, "attempt" is uncertain (it may have gone
    out), and a row never attempted is marked "recovered" first, so a worker thought dead skips it."""

    TTL = 2 * 86400

    def __init__(self, client: redis.Redis, broadcast_id: int) -> None:
        self._r = client
        self._key = f"alleybot:broadcast:{broadcast_id}:progress"

    @staticmethod
    def _field(delivery_id: int, stamp: int) -> str:
        return f"{delivery_id}:{stamp}"

    def attempt(self, row: _Claimed, previous: _Sent | None) -> bool:
        pipe = self._r.pipeline(transaction=False)
        if previous is not None:
            pipe.hset(self._key, self._field(previous.delivery_id, previous.stamp), previous.state)
        pipe.hsetnx(self._key, self._field(row.delivery_id, row.stamp), "attempt")
        pipe.expire(self._key, self.TTL)
        return bool(pipe.execute()[-2])

    def settle(self, last: _Sent) -> None:
        self._r.hset(self._key, self._field(last.delivery_id, last.stamp), last.state)

    def recover(self, delivery_id: int, stamp: int) -> str:
        field = self._field(delivery_id, stamp)
        if self._r.hsetnx(self._key, field, "recovered"):
            return "pending"
        fate = self._r.hget(self._key, field)
        fate_text = fate.decode() if isinstance(fate, bytes) else str(fate)
        return "uncertain" if fate_text in ("attempt", "recovered") else fate_text


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class BroadcastError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code  # forbidden | too_long | empty | cap | unknown_alley | not_found | schedule | busy
        super().__init__(message)


@dataclass(frozen=True)
class Target:
    alleys: tuple[str, ...] = ()
    office: str | None = None
    everyone: bool = False

    @property
    def label(self) -> str:
        return account_texts.EVERYONE if self.everyone else self.office or "、".join(self.alleys)


@dataclass(frozen=True)
class BroadcastView:
    id: int
    label: str  # who it went to, in words
    text: str
    created_at: datetime
    send_at: datetime
    recipients: int


@dataclass(frozen=True)
class Created:
    id: int
    recipients: int
    send_at: datetime


class RateLimiter:
    """At most ``per_second`` sends per second across every worker: limits' fixed window, counted in Redis."""

    def __init__(self, client: redis.Redis, per_second: int, sleep: Callable[[float], None] = time.sleep) -> None:
        storage = RedisStorage("redis://", connection_pool=client.connection_pool, key_prefix="alleybot:send-rate")
        self._limiter = FixedWindowRateLimiter(storage)
        self._item = RateLimitItemPerSecond(per_second)
        self._sleep = sleep

    def wait(self, sends: int = 1) -> None:
        """Block until ``sends`` more sends fit in the current second (one atomic call while they fit)."""
        while not self._limiter.hit(self._item, "broadcast", cost=sends):
            reset = self._limiter.get_window_stats(self._item, "broadcast").reset_time
            self._sleep(max(0.001, reset - time.time()))


class Broadcasts:
    def __init__(self, uow: Callable[[], UnitOfWork], config: AppConfig, messenger: Messenger, notices: Notices,
                 client: redis.Redis, enqueue: Callable[..., None],
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._uow = uow
        self._config = config
        self._messenger = messenger
        self._notices = notices
        self._enqueue = enqueue
        self._sleep = sleep
        self._redis = client
        self._limiter = RateLimiter(client, config.broadcasts.sends_per_second, sleep)

    # --- audience -------------------------------------------------------------------------------------
    def _alleys_of(self, target: Target) -> set[str] | None:
        if target.everyone:
            return None
        names = set(target.alleys)
        if target.office:
            names |= {a.name for a in self._config.alleys if a.street_office == target.office}
        return names

    def audience(self, s: Session, target: Target) -> list[int]:
        """Subscribed users bound to the alleys (home alley: bind_alley or the alley's QR code), the alleys'
        stewards and their chiefs; everyone subscribed for ``everyone``. Selected in SQL, on indexes: ids only,
        never every user loaded to be filtered here."""
        names = self._alleys_of(target)
        subscribed = User.subscribed.is_(True)
        if names is None:
            return list(s.scalars(select(User.id).where(subscribed).order_by(User.id)))
        if not names:
            return []
        alley_ids = select(Alley.id).where(Alley.name.in_(names)).scalar_subquery()
        bound = select(User.id).where(subscribed, or_(User.home_alley_id.in_(alley_ids),
                                                      User.duty_alley_id.in_(alley_ids)))
        stewards = select(StewardClaim.user_id).join(User, User.id == StewardClaim.user_id).where(
            StewardClaim.status == "approved", StewardClaim.alley.in_(names), subscribed)
        followers = select(AlleyFollow.user_id).join(User, User.id == AlleyFollow.user_id).where(
            AlleyFollow.alley.in_(names), subscribed)
        return sorted(set(s.scalars(union(bound, stewards, followers))))

    def follow_reported_alley(self, user_id: int) -> str | None:
        """关注通知: the resident agrees to hear the notices of the alley they last reported a problem in."""
        with self._uow() as uow:
            s = uow.session
            alley = s.scalar(select(Issue.alley).where(Issue.reporter_id == user_id).order_by(Issue.id.desc()))
            if alley is None:
                return None
            if not s.scalar(select(AlleyFollow.id).where(AlleyFollow.user_id == user_id, AlleyFollow.alley == alley)):
                s.add(AlleyFollow(user_id=user_id, alley=alley, created_at=datetime.now(UTC)))
            return str(alley)

    def _check_sender(self, s: Session, sender_id: int | None, target: Target) -> str:
        """Who sends (their openid, "cli" for the command line), refused unless they answer for the audience and
        are under their daily cap."""
        if sender_id is None:
            return "cli"
        user = s.get(User, sender_id)
        if user is None or user.role not in ("chief", "staff"):
            raise BroadcastError("forbidden", "only chiefs and staff send notices")
        if not answers_for_all(user, self._alleys_of(target), self._config):
            raise BroadcastError("forbidden", "chiefs send to their own alley, staff within their street office")
        day_start = datetime.now(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
        sent_today = s.scalar(select(func.count()).select_from(Broadcast).where(
            Broadcast.sender == user.openid, Broadcast.created_at >= day_start)) or 0
        if sent_today >= self._config.broadcasts.daily_cap_per_sender:
            raise BroadcastError("cap", f"{user.openid} sent {sent_today} notices today")
        return user.openid

    def _check(self, target: Target, text: str) -> None:
        if not text.strip():
            raise BroadcastError("empty", "the notice has no text")
        if len(text) > self._config.broadcasts.max_length:
            raise BroadcastError("too_long", f"{len(text)} characters; at most {self._config.broadcasts.max_length}")
        unknown = [a for a in target.alleys if self._config.alley(a) is None]
        if unknown or (target.office and target.office not in self._config.street_offices):
            raise BroadcastError("unknown_alley", f"unknown target {unknown or target.office}")

    def preview(self, sender_id: int | None, target: Target, text: str) -> int:
        """How many people would get it; BroadcastError when it may not be sent (no sender: the command line)."""
        self._check(target, text)
        with self._uow() as uow:
            self._check_sender(uow.session, sender_id, target)
            return len(self.audience(uow.session, target))

    def create(self, sender_id: int | None, target: Target, text: str, at: datetime | None = None,
               once: str | None = None, audit: Audit | None = None) -> Created:
        """Write the notice and one delivery row per recipient, and queue its sending. ``once`` is the console
        form's token: the same form sent twice gives the first notice back, never a second one."""
        self._check(target, text)
        now = datetime.now(UTC)
        send_at = at or now
        if send_at < now - timedelta(minutes=1) or send_at > now + timedelta(days=SCHEDULE_DAYS):
            raise BroadcastError("schedule", f"send_at {send_at} is in the past or over {SCHEDULE_DAYS} days ahead")
        if once is not None and not self._redis.set(f"{ONCE_PREFIX}{once}", "", nx=True, ex=86400):
            earlier = self._redis.get(f"{ONCE_PREFIX}{once}")
            if earlier:
                return self._created(int(earlier))
            raise BroadcastError("busy", "the same form is being sent right now")
        try:
            created = self._create(sender_id, target, text, send_at, audit)
        except BaseException:
            if once is not None:
                self._redis.delete(f"{ONCE_PREFIX}{once}")
            raise
        if once is not None:
            self._redis.set(f"{ONCE_PREFIX}{once}", str(created.id), ex=86400)
        return created

    def _created(self, broadcast_id: int) -> Created:
        with self._uow() as uow:
            b = uow.session.get(Broadcast, broadcast_id)
            if b is None:
                raise BroadcastError("not_found", f"no broadcast {broadcast_id}")
            return Created(b.id, b.recipients, aware(b.send_at))

    def _create(self, sender_id: int | None, target: Target, text: str, send_at: datetime,
                audit: Audit | None) -> Created:
        with self._uow() as uow:
            s = uow.session
            sender = self._check_sender(s, sender_id, target)
            users = self.audience(s, target)
            broadcast = Broadcast(sender=sender, alleys=list(target.alleys), office=target.office,
                                  everyone=target.everyone, text=text.strip(), send_at=send_at,
                                  recipients=len(users), created_at=datetime.now(UTC))
            s.add(broadcast)
            s.flush()
            if users:  # (an empty parameter list would insert one row of defaults)
                s.execute(insert(BroadcastDelivery), [
                    {"broadcast_id": broadcast.id, "user_id": uid, "state": "pending", "attempts": 0,
                     "updated_at": datetime.now(UTC)} for uid in users])
            created = Created(broadcast.id, len(users), send_at)
            offices = {spec.street_office for a in target.alleys if (spec := self._config.alley(a))}
            write_audit(s, audit, "broadcast", "broadcast", str(broadcast.id),
                        target.office or (offices.pop() if len(offices) == 1 else None),
                        f"{target.label}（{len(users)} 人）：{text.strip()[:200]}")
        self._enqueue("send_broadcast", at=send_at, broadcast_id=created.id)
        return created

    def recent(self, alleys: Sequence[str], offices: Sequence[str], limit: int = 50) -> list[BroadcastView]:
        """The newest notices whose whole audience lies within these alleys (or is one of these street offices),
        for the console: a chief sees their alley's, staff their office's."""
        scope = set(alleys)
        with self._uow() as uow:
            rows = uow.session.scalars(select(Broadcast).where(Broadcast.everyone.is_(False))
                                       .order_by(Broadcast.id.desc()).limit(limit * 10))
            out = []
            for b in rows:
                if (b.office and b.office in offices) or (not b.office and b.alleys and set(b.alleys) <= scope):
                    out.append(BroadcastView(b.id, Target(tuple(b.alleys), b.office).label, b.text,
                                             aware(b.created_at), aware(b.send_at), b.recipients))
                if len(out) >= limit:
                    break
            return out

    def within(self, broadcast_id: int, alleys: Sequence[str], offices: Sequence[str]) -> BroadcastView | None:
        """One notice, if its audience lies within this scope (None otherwise, as if it did not exist)."""
        with self._uow() as uow:
            b = uow.session.get(Broadcast, broadcast_id)
            if b is None or b.everyone:
                return None
            if not ((b.office and b.office in offices) or (not b.office and b.alleys and set(b.alleys) <= set(alleys))):
                return None
            return BroadcastView(b.id, Target(tuple(b.alleys), b.office).label, b.text, aware(b.created_at),
                                 aware(b.send_at), b.recipients)

    # --- delivery -------------------------------------------------------------------------------------
    def _claim(self, broadcast_id: int) -> list[_Claimed]:
        """Move the next pending rows to ``sending`` and commit, with what sending needs of each recipient
        (whether they follow us, whether they wrote within 48 hours): one transaction per batch."""
        now = datetime.now(UTC)
        claimed_at = now.replace(microsecond=now.microsecond // 1000 * 1000)  # what the database keeps exactly
        stamp = _ms(claimed_at)
        with self._uow() as uow:
            s = uow.session
            query = (select(BroadcastDelivery.id, User.openid, User.subscribed, User.last_message_at)
                     .join(User, User.id == BroadcastDelivery.user_id)
                     .where(BroadcastDelivery.broadcast_id == broadcast_id, BroadcastDelivery.state == "pending")
                     .order_by(BroadcastDelivery.id).limit(BATCH))
            if s.bind is not None and s.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=BroadcastDelivery)  # several workers share
            rows = [_Claimed(int(i), str(o), bool(sub), in_window(seen, now)) for i, o, sub, seen in s.execute(query)]
            if rows:
                s.execute(update(BroadcastDelivery).where(BroadcastDelivery.id.in_([r.delivery_id for r in rows]))
                          .values(state="sending", updated_at=claimed_at))
        return [replace(r, stamp=stamp) for r in rows]

    def deliver(self, broadcast_id: int) -> Counter[str]:
        """Send every pending delivery of this broadcast; safe to run again, or in several workers at once."""
        with self._uow() as uow:
            broadcast = uow.session.get(Broadcast, broadcast_id)
            if broadcast is None:
                return Counter()
            text = texts.broadcast_message(broadcast.alleys, broadcast.office, broadcast.text)
        outcomes: Counter[str] = Counter()
        progress = _Progress(self._redis, broadcast_id)
        while batch := self._claim(broadcast_id):
            self._limiter.wait(len(batch))  # one atomic call for the batch
            sent: list[_Sent] = []
            for row in batch:
                if not progress.attempt(row, sent[-1] if sent else None):
                    continue  # recovered meanwhile (this worker was thought dead): another one sends it
                sent.append(self._send_one(broadcast_id, row, text))
            if sent:
                progress.settle(sent[-1])
            self._record(sent)
            outcomes.update(r.state for r in sent)
        return outcomes

    def _record(self, sent: list[_Sent]) -> None:
        """The batch's outcomes, in one transaction."""
        if not sent:
            return
        now = datetime.now(UTC)
        with self._uow() as uow:  # SQLAlchemy's bulk UPDATE by primary key: one executemany
            uow.session.execute(update(BroadcastDelivery), [
                {"id": r.delivery_id, "state": r.state, "attempts": r.attempts, "errcode": r.errcode,
                 "msgid": r.msgid, "updated_at": now} for r in sent])

    def unfinished(self) -> list[int]:
        """Broadcasts due now with rows still pending or claimed."""
        with self._uow() as uow:
            return sorted({int(i) for i in uow.session.scalars(
                select(BroadcastDelivery.broadcast_id).join(Broadcast, Broadcast.id == BroadcastDelivery.broadcast_id)
                .where(BroadcastDelivery.state.in_(("pending", "sending")), Broadcast.send_at <= datetime.now(UTC)))})

    def recover(self, broadcast_id: int) -> Counter[str]:
        """After a worker was killed: the rows of its batch get the fate Redis recorded for them (sent, failed
        …), the one in flight becomes ``uncertain`` (never sent again), the ones it never reached go back to
        ``pending``. Safe beside a live worker: a row it has not reached yet is marked "recovered" first, so
        it skips it; one it is sending ends with the state it records."""
        progress = _Progress(self._redis, broadcast_id)
        fates: Counter[str] = Counter()
        with self._uow() as uow:
            s = uow.session
            claimed = list(s.execute(select(BroadcastDelivery.id, BroadcastDelivery.updated_at).where(
                BroadcastDelivery.broadcast_id == broadcast_id, BroadcastDelivery.state == "sending")))
            for row_id, claimed_at in claimed:
                fate = progress.recover(int(row_id), _ms(aware(claimed_at) or datetime.now(UTC)))
                # Only if still the same claim: a live worker that recorded the row meanwhile has the last word,
                # and a claim made since (after another recovery) is not this one's to judge.
                s.execute(update(BroadcastDelivery).where(
                    BroadcastDelivery.id == row_id, BroadcastDelivery.state == "sending",
                    BroadcastDelivery.updated_at == claimed_at).values(state=fate))
                fates[fate] += 1
        return fates

    def _send_one(self, broadcast_id: int, row: _Claimed, text: str) -> _Sent:
        delays = self._config.broadcasts.retry_delays
        attempts = 0
        while True:
            if attempts:
                self._limiter.wait()
            attempts += 1
            result = self._messenger.deliver_text_known(row.openid, text, row.subscribed, row.in_window)
            if result.status == "failed" and result.errcode in RETRYABLE and attempts <= len(delays):
                self._sleep(delays[attempts - 1])
                continue
            break
        msgid = str(result.msgid) if result.msgid else None
        if result.status in ("sent", "template"):
            state = result.status
        elif result.status == "skipped" or result.errcode in UNREACHABLE:
            state = "unreachable"
        elif result.errcode in RETRYABLE:
            state = "failed"
        else:  # outside the 48-hour window with no template, 45015, 45047: shown at their next message
            key = f"broadcast:{broadcast_id}:{row.openid}"
            state = "held" if self._notices.hold(row.openid, key, text) else "failed"
        return _Sent(row.delivery_id, row.stamp, state, attempts, result.errcode, msgid)

    def template_finished(self, msgid: str, status: str) -> bool:
        """TEMPLATESENDJOBFINISH: WeChat's final word on a template message."""
        state = "sent" if status == "success" else "unreachable" if "block" in status else "failed"
        with self._uow() as uow:
            result = uow.session.execute(update(BroadcastDelivery).where(BroadcastDelivery.msgid == msgid)
                                         .values(state=state, updated_at=datetime.now(UTC)))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    # --- residents ------------------------------------------------------------------------------------
    def acknowledge(self, user_id: int, now: datetime | None = None) -> bool:
        """收到: the latest notice delivered to this user in the last days, once."""
        since = (now or datetime.now(UTC)) - timedelta(days=self._config.broadcasts.ack_days)
        with self._uow() as uow:
            s = uow.session
            row = s.scalar(select(BroadcastDelivery).where(
                BroadcastDelivery.user_id == user_id, BroadcastDelivery.acked_at.is_(None),
                BroadcastDelivery.updated_at >= since,
                or_(BroadcastDelivery.state.in_(("sent", "template", "held", "uncertain"))))
                .order_by(BroadcastDelivery.id.desc()))
            if row is None:
                return False
            row.acked_at = datetime.now(UTC)
            return True

    def awaiting_ack(self, user_id: int) -> bool:
        since = datetime.now(UTC) - timedelta(days=self._config.broadcasts.ack_days)
        with self._uow() as uow:
            return uow.session.scalar(select(BroadcastDelivery.id)
                                      .where(BroadcastDelivery.user_id == user_id, BroadcastDelivery.acked_at.is_(None),
                                             BroadcastDelivery.updated_at >= since,
                                             BroadcastDelivery.state.in_(("sent", "template", "held", "uncertain")))
                                      .limit(1)) is not None

    # --- staff ----------------------------------------------------------------------------------------
    def report(self, broadcast_id: int) -> dict[str, Any]:
        with self._uow() as uow:
            s = uow.session
            broadcast = s.get(Broadcast, broadcast_id)
            if broadcast is None:
                raise BroadcastError("not_found", f"no broadcast {broadcast_id}")
            states = Counter({str(k): int(v) for k, v in s.execute(
                select(BroadcastDelivery.state, func.count()).where(BroadcastDelivery.broadcast_id == broadcast_id)
                .group_by(BroadcastDelivery.state))})
            acked = s.scalar(select(func.count()).select_from(BroadcastDelivery).where(
                BroadcastDelivery.broadcast_id == broadcast_id, BroadcastDelivery.acked_at.is_not(None))) or 0
            return {
                "id": broadcast.id, "recipients": broadcast.recipients,
                "sent": states["sent"] + states["template"], "by_template": states["template"],
                "failed": states["failed"], "held": states["held"], "unreachable": states["unreachable"],
                "pending": states["pending"] + states["sending"], "uncertain": states["uncertain"],
                "acknowledged": int(acked),
            }
