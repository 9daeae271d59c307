"""SQLAlchemy 2 typed models: every table, one class each (foundation, parking, polls, 随手拍 issues, notices)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("resident", "steward", "chief", "staff")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Alley(Base):
    __tablename__ = "alleys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    district: Mapped[str] = mapped_column(String(32))
    street_office: Mapped[str] = mapped_column(String(64), index=True)
    chief_name: Mapped[str] = mapped_column(String(64))
    center_lat: Mapped[float] = mapped_column(Float)
    center_lng: Mapped[float] = mapped_column(Float)
    polyline: Mapped[list[Any]] = mapped_column(JSON)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (Index("ix_users_home_alley_id", "home_alley_id"),
                      Index("ix_users_duty_alley_id", "duty_alley_id"),
                      Index("ix_users_last_message_at", "last_message_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="resident")
    home_alley_id: Mapped[int | None] = mapped_column(ForeignKey("alleys.id"), nullable=True)
    # The alley a chief or steward serves; residents use home_alley only.
    duty_alley_id: Mapped[int | None] = mapped_column(ForeignKey("alleys.id"), nullable=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    display_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # WeChat lets us send customer-service messages only within 48 h of the user's last message.
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    anonymised: Mapped[bool] = mapped_column(Boolean, default=False)
    # Blocked by staff (abuse): their reports get a polite refusal and nothing is forwarded.
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Notices that could not be pushed (outside 48 h, no template): shown at their next message. The count
    # rides on the row every message reads already, so users with nothing held cost no extra query.
    held_notices: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    # Joined: every message reads the user with their alleys; lazy loads would cost two more round trips.
    home_alley: Mapped[Alley | None] = relationship(foreign_keys=[home_alley_id], lazy="joined")
    duty_alley: Mapped[Alley | None] = relationship(foreign_keys=[duty_alley_id], lazy="joined")


class InboundMessage(Base):
    """One row per distinct inbound message or event; the unique key backs up the Redis dedupe."""

    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_messages_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    msg_key: Mapped[str] = mapped_column(String(160), unique=True)
    msg_type: Mapped[str] = mapped_column(String(80))  # "event:" + WeChat's event type (checked ≤ 64 on arrival)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # handled | failed | late (reply went by customer-service message) | late_failed | ignored
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class ParkingGap(Base):
    """A parking question the bot could not answer, for staff to add to config/parking.yml.

    No openid: what matters is the question and where it was asked, not who asked it.
    """

    __tablename__ = "parking_gaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    alley: Mapped[str | None] = mapped_column(String(64), nullable=True)
    best_topic: Mapped[str | None] = mapped_column(String(32), nullable=True)
    confidence: Mapped[float] = mapped_column(Float)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Poll(Base):
    """A quick satisfaction poll: questions on a three-level scale for a target (alleys, a street, everyone)."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scale: Mapped[str] = mapped_column(String(16))  # satisfaction | agreement
    target_alleys: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_office: Mapped[str | None] = mapped_column(String(64), nullable=True)
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    questions: Mapped[list[PollQuestion]] = relationship(order_by="PollQuestion.position", lazy="selectin")


class PollQuestion(Base):
    __tablename__ = "poll_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class PollAnswer(Base):
    """One answer per user and question: answering again replaces it (the last one counts, once)."""

    __tablename__ = "poll_answers"
    __table_args__ = (UniqueConstraint("question_id", "user_id", name="uq_poll_answers_question_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("poll_questions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    alley: Mapped[str | None] = mapped_column(String(64), nullable=True)  # where the answer was given from
    rating: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class PollInvitation(Base):
    """That a user was invited to a poll (pushed or at their next message): never invite twice."""

    __tablename__ = "poll_invitations"
    __table_args__ = (UniqueConstraint("poll_id", "user_id", name="uq_poll_invitations_poll_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    via: Mapped[str] = mapped_column(String(16))  # push | next_message
    invited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


ISSUE_STATUSES = ("received", "accepted", "in_progress", "forwarded", "resolved", "rejected", "duplicate",
                  "withdrawn")
OPEN_STATUSES = ("received", "accepted", "in_progress", "forwarded")


class Issue(Base):
    """One 随手拍 ticket: a problem in an alley, reported by a resident and handled by the alley's chief."""

    __tablename__ = "issues"
    __table_args__ = (Index("ix_issues_alley_status", "alley", "status"),
                      Index("ix_issues_office_status", "street_office", "status"),
                      Index("ix_issues_status_due_at", "status", "due_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket: Mapped[str | None] = mapped_column(String(24), unique=True, nullable=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The message that created it: a retry that Redis forgot still cannot open a second ticket.
    source_key: Mapped[str] = mapped_column(String(80), unique=True)
    alley: Mapped[str] = mapped_column(String(64), index=True)
    street_office: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    triage: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")  # kept whole, however long
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    handler_openid: Mapped[str | None] = mapped_column(String(64), nullable=True)  # who was notified to handle
    department: Mapped[str | None] = mapped_column(String(32), nullable=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("issues.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # the latest resolution or rejection note
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reminded_on: Mapped[str | None] = mapped_column(String(10), nullable=True)  # YYYY-MM-DD of the last reminder
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The chief or staff member a ticket is assigned to at the console (their 我的 list); None: nobody yet.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    # How it came in: wechat (随手拍), phone or counter (entered at the console on a resident's behalf). A
    # resident without WeChat is reached by the name and phone kept here, shown only to the ticket's handlers.
    channel: Mapped[str] = mapped_column(String(8), default="wechat", server_default="wechat")
    contact_name: Mapped[str | None] = mapped_column(String(32), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Marked by its handler for the alley's public page (公示): shown there with its photos once resolved.
    publishable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    reporter: Mapped[User] = relationship(lazy="joined", foreign_keys=[reporter_id])
    assignee: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[assignee_id])
    photos: Mapped[list[IssuePhoto]] = relationship(order_by="IssuePhoto.id", lazy="selectin")


class IssuePhoto(Base):
    """A photo of an issue: the WeChat MediaId until the download job stores it (or records why it could not)."""

    __tablename__ = "issue_photos"
    __table_args__ = (UniqueConstraint("issue_id", "media_id", name="uq_issue_photos_issue_media"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id"), index=True)
    media_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))  # report | after (the chief's after-photo)
    status: Mapped[str] = mapped_column(String(8))  # pending | stored | failed
    path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    thumb_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    phash: Mapped[str | None] = mapped_column(String(16), nullable=True)  # 64-bit difference hash, hex
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IssueFollower(Base):
    """A resident who reported the same problem again: they hear what the reporter hears."""

    __tablename__ = "issue_followers"
    __table_args__ = (UniqueConstraint("issue_id", "user_id", name="uq_issue_followers_issue_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IssueEvent(Base):
    """The audit trail of an issue: every status change with who made it and why."""

    __tablename__ = "issue_events"
    __table_args__ = (Index("ix_issue_events_unnotified", "notified"),)  # the name migration 0008 gave it

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # the new status, or rated / escalated / reminded / followed
    actor: Mapped[str | None] = mapped_column(String(64), nullable=True)  # openid, "cli" or "system"
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Written False with the change itself (the outbox): the event owes its notices until they are written out.
    notified: Mapped[bool] = mapped_column(Boolean, default=False)


class Notice(Base):
    """One message the bot owes one user, keyed so that a retried job never sends it twice.

    status: pending (owed: not tried yet, or waiting ``next_attempt_at`` after a transient failure) |
    sending (claimed by a worker, committed before the call to WeChat) | sent | template | held (shown at
    their next message) | shown | skipped (unsubscribed) | uncertain (a worker died mid-send; held, never
    pushed again) | image (a thumbnail being sent: at most once, never recovered).
    """

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), index=True)
    errcode: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class StewardClaim(Base):
    """A resident's application to be the 小巷管家 of an alley, and what staff decided."""

    __tablename__ = "steward_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    alley: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(12))  # pending | approved | declined | withdrawn
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    user: Mapped[User] = relationship(lazy="joined")


class PatrolRecord(Base):
    """One patrol per steward, alley and (Beijing) day: a second check-in amends it."""

    __tablename__ = "patrols"
    __table_args__ = (UniqueConstraint("user_id", "alley", "day", name="uq_patrols_user_alley_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    alley: Mapped[str] = mapped_column(String(64))
    day: Mapped[str] = mapped_column(String(10), index=True)  # YYYY-MM-DD, Beijing time
    minutes: Mapped[int] = mapped_column(Integer)
    visits: Mapped[int] = mapped_column(Integer, default=0)
    fixes: Mapped[int] = mapped_column(Integer, default=0)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    verified_by: Mapped[str | None] = mapped_column(String(16), nullable=True)  # location | chief
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    points: Mapped[int] = mapped_column(Integer, default=0)  # what the ledger holds for it now
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class LedgerTransfer(Base):
    """A movement of points; its entries sum to zero. Never updated: corrections are new transfers."""

    __tablename__ = "ledger_transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # idempotency key
    kind: Mapped[str] = mapped_column(String(12))
    memo: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    day: Mapped[str] = mapped_column(String(10), index=True)  # Beijing day, for the daily cap and months
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    entries: Mapped[list[LedgerEntry]] = relationship(lazy="selectin", order_by="LedgerEntry.id")


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), index=True)
    account: Mapped[str] = mapped_column(String(40), index=True)
    amount: Mapped[int] = mapped_column(Integer)


class LedgerBalance(Base):
    """Cached balance per account, updated in the transfer's transaction and checkable against the entries."""

    __tablename__ = "ledger_balances"

    account: Mapped[str] = mapped_column(String(40), primary_key=True)
    balance: Mapped[int] = mapped_column(Integer)


class RewardItem(Base):
    __tablename__ = "rewards"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    cost: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)


class Redemption(Base):
    __tablename__ = "redemptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reward_code: Mapped[str] = mapped_column(ForeignKey("rewards.code"))
    cost: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # reserved | fulfilled | cancelled
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)



class Broadcast(Base):
    """A notice from a chief or staff member to the residents of alleys, a street office or everyone."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(64))  # openid, or "cli"
    alleys: Mapped[list[str]] = mapped_column(JSON, default=list)
    office: Mapped[str | None] = mapped_column(String(64), nullable=True)
    everyone: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    send_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BroadcastDelivery(Base):
    """One row per (broadcast, user): the delivery's state is the only record of whether it went out.

    state: pending → sending (claimed; the WeChat call is in flight) → sent | template | held | unreachable |
    failed. A row left in ``sending`` by a killed worker is never sent again: it becomes ``uncertain``.
    """

    __tablename__ = "broadcast_deliveries"
    __table_args__ = (UniqueConstraint("broadcast_id", "user_id", name="uq_broadcast_deliveries_user"),
                      Index("ix_broadcast_deliveries_broadcast_state", "broadcast_id", "state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    errcode: Mapped[int | None] = mapped_column(Integer, nullable=True)
    msgid: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)  # template MsgID
    acked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class AlleyFollow(Base):
    """A resident who agreed (after reporting there) to receive an alley's notices besides their home alley's."""

    __tablename__ = "alley_follows"
    __table_args__ = (UniqueConstraint("user_id", "alley", name="uq_alley_follows_user_alley"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    alley: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """One action taken at the staff console: who, what, on which object, when and from which address.

    Written in the same transaction as the change it records, so the log never claims what did not happen.
    ``street_office`` is the object's, so staff see the entries of their own office.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_office_at", "street_office", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    object_kind: Mapped[str] = mapped_column(String(16))  # ticket | poll | broadcast | steward …
    object_ref: Mapped[str] = mapped_column(String(64))
    street_office: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ReplyTemplate(Base):
    """常用回复: a reply a street office's staff wrote once and use again, for a category and an action (or any)."""

    __tablename__ = "reply_templates"
    __table_args__ = (Index("ix_reply_templates_office", "street_office"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    street_office: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None: any category
    action: Mapped[str | None] = mapped_column(String(16), nullable=True)  # resolve | reject | message …; None: any
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ChiefPatrol(Base):
    """街巷长日志: a chief's walk of their alley: how long, which 十无 items they found (fixed on the spot or not),
    their words, and where they were when they logged it (inside the alley: verified)."""

    __tablename__ = "chief_patrols"
    __table_args__ = (Index("ix_chief_patrols_alley_day", "alley", "day"),
                      Index("ix_chief_patrols_user_day", "user_id", "day"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    alley: Mapped[str] = mapped_column(String(64))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, Beijing time
    minutes: Mapped[int] = mapped_column(Integer)
    # [{"category": code, "count": n, "fixed": bool}]: what they found, in the 十无 codes
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    source_key: Mapped[str] = mapped_column(String(80), unique=True)  # the message that logged it: once
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProgressNotice(Base):
    """定期公开: an alley whose residents get last month's figures on the first of each month."""

    __tablename__ = "progress_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alley: Mapped[str] = mapped_column(String(64), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_month: Mapped[str | None] = mapped_column(String(7), nullable=True)  # YYYY-MM already claimed and sent
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
