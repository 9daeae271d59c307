"""随手拍 issues: report, merge duplicates, attach, withdraw, handle (受理/转派/办结/驳回), rate, list, deadlines.

Every change is one transaction that also writes an IssueEvent; after it commits, the service queues the
notification job for that event (and the download job for each new photo), so a notification never goes out
for a change that was rolled back, and a retried job is harmless (notices are keyed by event and recipient).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.accounts.authority import answers_for
from bot.core.audit import Audit, write_audit
from bot.core.clock import BEIJING, aware, beijing_day
from bot.core.config import AppConfig
from bot.core.db import UowFactory
from bot.core.models import OPEN_STATUSES, Alley, Issue, IssueEvent, IssueFollower, IssuePhoto, User
from bot.issues import texts
from bot.issues.photo_files import CleanPhoto, PhotoError, PhotoStore, clean

FIND_CHUNK = 1000  # issues read per query when listing many
ORDERS = {"old": (Issue.id,), "new": (Issue.id.desc(),), "due": (Issue.due_at, Issue.id)}
# Which status each chief action leads to, and from which statuses it may be taken.
ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "accept": ("accepted", ("received",)),
    "start": ("in_progress", ("received", "accepted", "forwarded")),
    "forward": ("forwarded", ("received", "accepted", "in_progress", "forwarded")),
    "resolve": ("resolved", OPEN_STATUSES),
    "reject": ("rejected", OPEN_STATUSES),
    "reopen": ("in_progress", ("resolved", "rejected")),  # the console's 重新打开 (a 不满意 rating does it too)
}
NEEDS_NOTE = ("resolve", "reject", "reopen")
EVENT_KINDS = {"reopen": "reopened_staff"}  # the event an action writes, when it is not the new status
PHONE = re.compile(r"[0-9+\- ]{5,20}")  # a mobile, a landline with its area code, an extension
MAX_MESSAGE_CHARS = 500  # a handler's message to the reporter: one customer-service text, read on a phone
Enqueue = Callable[..., None]


class IssueError(Exception):
    """A request that cannot be done; ``code`` lets the chat answer in words, the message names the problem."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class PhotoView:
    id: int
    kind: str
    status: str
    path: str | None
    thumb_path: str | None
    phash: str | None
    error: str | None


@dataclass(frozen=True)
class IssueView:
    id: int
    ticket: str
    alley: str
    street_office: str
    category: str
    category_name: str
    triage: str
    text: str
    status: str
    status_name: str
    chief: str  # the 街巷长's display name from config (the sign at the alley mouth)
    handler_openid: str | None
    department: str | None
    note: str | None
    rating: int | None
    escalated: bool
    followers: int
    reporter: str
    lat: float | None
    lng: float | None
    photos: tuple[PhotoView, ...]
    due_at: datetime
    created_at: datetime
    resolved_at: datetime | None
    duplicate_of: str | None
    assignee_id: int | None = None
    assignee: str | None = None  # who it is assigned to, as the console names them
    channel: str = "wechat"  # wechat | phone | counter
    contact: str | None = None  # a walk-in resident's name and phone: for the ticket's handlers only
    publishable: bool = False  # marked for the alley's public page

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def overdue(self) -> bool:
        return self.status in OPEN_STATUSES and self.due_at < datetime.now(UTC)

    def as_json(self) -> dict[str, Any]:
        """The document of ``alleybot issues list/show --json`` (DESIGN §5)."""
        return {
            "ticket": self.ticket, "alley": self.alley, "street_office": self.street_office,
            "category": self.category, "category_name": self.category_name, "triage": self.triage,
            "status": self.status, "text": self.text, "reporter": self.reporter, "chief": self.chief,
            "handler": self.handler_openid, "department": self.department, "note": self.note,
            "rating": self.rating, "escalated": self.escalated, "followers": self.followers,
            "reporters": self.followers + 1, "location": [self.lat, self.lng] if self.lat is not None else None,
            "photos": [{"kind": p.kind, "status": p.status, "path": p.path, "thumbnail": p.thumb_path,
                        "phash": p.phash, "error": p.error} for p in self.photos],
            "due_at": self.due_at.isoformat(), "overdue": self.overdue, "created_at": self.created_at.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "duplicate_of": self.duplicate_of,
        }


@dataclass(frozen=True)
class TicketFilter:
    """What a ticket list is narrowed to: the console's filters and the CLI's options (None: any)."""

    status: str | None = None
    alley: str | None = None
    within: Sequence[str] | None = None  # the alleys a console user answers for
    category: str | None = None
    triage: str | None = None
    overdue: bool = False
    since: date | None = None  # reported on or after this Beijing day
    until: date | None = None  # reported on or before this Beijing day
    text: str | None = None  # a ticket number (or its start), else words of the report
    assignee_id: int | None = None  # 我的: assigned to this person
    now: datetime | None = None


@dataclass(frozen=True)
class Located:
    ticket: str
    lat: float
    lng: float
    category_name: str
    status_name: str


@dataclass(frozen=True)
class Logged:
    outcome: str  # created | followed (someone else's open ticket) | again (their own open ticket) | limited | blocked
    issue: IssueView | None
    reporters: int = 1  # everyone who reported this problem, the first reporter included
    event_id: int | None = None  # the "received" event of a new ticket (its notification)
    routed: str = "chief"  # who received a new ticket: chief | office (no chief on WeChat) | none


@dataclass(frozen=True)
class ActionCheck:
    problem: str | None  # None (go ahead), not_found, forbidden or status
    issue: IssueView | None  # the named ticket, when it exists
    open_tickets: list[IssueView]  # this person's open tickets, oldest first


def record_event(session: Session, issue: Issue, kind: str, actor: str | None, note: str | None = None) -> int:
    """Write one audit event of an issue (the notification job reads it by id)."""
    event = IssueEvent(issue_id=issue.id, kind=kind, actor=actor, note=note, at=datetime.now(UTC))
    session.add(event)
    session.flush()
    return event.id


def logged_events(logged: Logged) -> list[int]:
    return [logged.event_id] if logged.event_id is not None else []


# Statements of every report, built once: building one cost as much CPU as running it.
_BY_SOURCE = select(Issue.id).where(Issue.source_key == bindparam("source_key"))
_LOCK_ALLEY = select(Alley.id).where(Alley.name == bindparam("alley")).with_for_update()
_SAME_OPEN = select(Issue).where(Issue.alley == bindparam("alley"), Issue.category == bindparam("category"),
                                 Issue.status.in_(OPEN_STATUSES), Issue.created_at >= bindparam("since")
                                 ).order_by(Issue.id)
_REPORTS_SINCE = select(
    select(func.count()).select_from(Issue).where(Issue.reporter_id == bindparam("user_id"),
                                                  Issue.created_at >= bindparam("since")).scalar_subquery()
    + select(func.count()).select_from(IssueFollower).where(IssueFollower.user_id == bindparam("user_id"),
                                                            IssueFollower.created_at >= bindparam("since"))
    .scalar_subquery())
_FOLLOW = {dialect: insert(IssueFollower).values(
    issue_id=bindparam("issue_id"), user_id=bindparam("user_id"), text=bindparam("text"),
    created_at=bindparam("created_at")).on_conflict_do_nothing().returning(IssueFollower.id)
    for dialect, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))}


def _follow_statement(s: Session) -> Any:
    """Follow an issue unless already following it (the unique key decides; RETURNING says which)."""
    return _FOLLOW[s.get_bind().dialect.name]


# The user's own open reports since a time (the attach window): asked of every location and photo, so built once
# (see Issues.has_recent); the full issue is read only when there is one to add to.
_RECENT_WHERE = (Issue.reporter_id == bindparam("user_id"), Issue.created_at >= bindparam("since"),
                 Issue.status.in_(OPEN_STATUSES))
_HAS_RECENT = select(Issue.id).where(*_RECENT_WHERE).limit(1)
_RECENT = select(Issue).where(*_RECENT_WHERE).order_by(Issue.id.desc())


class Issues:
    def __init__(self, uow: UowFactory, config: AppConfig, enqueue: Enqueue,
                 store: PhotoStore | None = None) -> None:
        self._uow = uow
        self._config = config
        self._enqueue = enqueue  # (job name, **kwargs): the runtime's job queue
        self._store = store  # where photos uploaded at the console are kept (chat photos come by download)

    # --- views ----------------------------------------------------------------------------------------
    def _view(self, session: Session, issue: Issue) -> IssueView:
        return self._views(session, [issue])[0]

    def _views(self, session: Session, issues: Sequence[Issue]) -> list[IssueView]:
        """Views of many issues in a constant number of queries, however many there are: the followers
        counted in one GROUP BY, the merged-into tickets read in one IN (reporters and photos come with the
        issues themselves)."""
        ids = [i.id for i in issues]
        if not ids:
            return []
        followers = {int(k): int(v) for k, v in session.execute(
            select(IssueFollower.issue_id, func.count()).where(IssueFollower.issue_id.in_(ids))
            .group_by(IssueFollower.issue_id))}
        originals = {i.duplicate_of_id for i in issues if i.duplicate_of_id}
        tickets = {int(k): v for k, v in session.execute(select(Issue.id, Issue.ticket).where(Issue.id.in_(originals)))
                   } if originals else {}
        return [self._make_view(i, followers.get(i.id, 0), tickets.get(i.duplicate_of_id or 0)) for i in issues]

    def _make_view(self, issue: Issue, followers: int, original: str | None) -> IssueView:
        category = self._config.category(issue.category)
        alley = self._config.alley(issue.alley)
        return IssueView(
            id=issue.id, ticket=issue.ticket or "", alley=issue.alley, street_office=issue.street_office,
            category=issue.category, category_name=category.name if category else issue.category,
            triage=issue.triage, text=issue.text, status=issue.status, status_name=texts.STATUS_NAMES[issue.status],
            chief=alley.chief if alley else "", handler_openid=issue.handler_openid, department=issue.department,
            note=issue.note, rating=issue.rating, escalated=issue.escalated, followers=followers,
            reporter=issue.reporter.openid, lat=issue.lat, lng=issue.lng,
            photos=tuple(PhotoView(p.id, p.kind, p.status, p.path, p.thumb_path, p.phash, p.error)
                         for p in issue.photos),
            due_at=aware(issue.due_at), created_at=aware(issue.created_at),
            resolved_at=aware(issue.resolved_at), duplicate_of=original,
            assignee_id=issue.assignee_id, assignee=self.person(issue.assignee) if issue.assignee else None,
            channel=issue.channel or "wechat",
            contact=" ".join(x for x in (issue.contact_name, issue.contact_phone) if x) or None,
            publishable=bool(issue.publishable),
        )

    def person(self, user: User) -> str:
        """A chief or staff member as the console names them: their name if they gave one, a chief by the name
        on their alley's sign, else role and alley. Never an openid."""
        if user.display_name:
            return user.display_name
        alley = self._config.alley(user.duty_alley.name) if user.duty_alley else None
        if user.role == "chief" and alley is not None and alley.chief:
            return f"{alley.chief}（{alley.name}街巷长）"
        role = texts.PERSON_ROLES.get(user.role, user.role)
        return f"{role}（{alley.street_office if alley else '未绑定'} #{user.id}）"

    def _after_commit(self, events: Sequence[int], photos: Sequence[int] = ()) -> None:
        # Notifications first: the chief reads the ticket, then its thumbnail arrives.
        for event_id in events:
            self._enqueue("notify_issue", event_id=event_id)
        for photo_id in photos:
            self._enqueue("fetch_issue_photo", photo_id=photo_id)

    # --- handlers of an alley -------------------------------------------------------------------------
    def handlers(self, session: Session, alley: str) -> list[User]:
        """The alley's chiefs; otherwise the staff of its street office; otherwise staff bound to no alley."""
        spec = self._config.alley(alley)
        users = list(session.scalars(select(User).where(User.role.in_(("chief", "staff")),
                                                        User.subscribed.is_(True)).order_by(User.id)))
        chiefs = [u for u in users if u.role == "chief" and u.duty_alley and u.duty_alley.name == alley]
        if chiefs:
            return chiefs
        return self.staff_of(users, spec.street_office if spec else None)

    @staticmethod
    def staff_of(users: Sequence[User], office: str | None) -> list[User]:
        staff = [u for u in users if u.role == "staff"]
        own = [u for u in staff if u.duty_alley and u.duty_alley.street_office == office]
        return own or [u for u in staff if u.duty_alley is None]

    def street_staff(self, session: Session, office: str) -> list[User]:
        users = list(session.scalars(select(User).where(User.role == "staff", User.subscribed.is_(True))
                                     .order_by(User.id)))
        return self.staff_of(users, office)

    def may_handle(self, user: User, issue: Issue) -> bool:
        return answers_for(user, issue.alley, issue.street_office)

    # --- residents ------------------------------------------------------------------------------------
    def report(self, user_id: int, source_key: str, alley: str, category: str, text: str = "",
               photos: Sequence[str] = (), lat: float | None = None, lng: float | None = None,
               now: datetime | None = None) -> Logged:
        """Log a problem, or make the reporter a follower of the same open problem; idempotent per message."""
        spec, cat = self._config.alley(alley), self._config.category(category)
        if spec is None or cat is None:
            raise IssueError("unknown", f"unknown alley {alley!r} or category {category!r}")
        now = now or datetime.now(UTC)
        rules = self._config.issues
        photos = list(dict.fromkeys(photos))[:rules.max_photos]
        logged: Logged
        photo_ids: list[int]
        with self._uow() as uow:
            s = uow.session
            earlier = s.scalar(_BY_SOURCE, {"source_key": source_key})
            if earlier is not None:  # the same message again (Redis forgot the retry): the same answer
                return Logged("created", self._view(s, s.get_one(Issue, earlier)))
            user = self._user(s, user_id)
            if user.blocked:
                return Logged("blocked", None)
            if self._reports_in_last_hour(s, user.id, now) >= rules.reports_per_hour:
                return Logged("limited", None)
            # One report at a time per alley: two neighbours reporting the same thing become one ticket.
            s.execute(_LOCK_ALLEY, {"alley": alley})
            same = s.scalar(_SAME_OPEN, {"alley": alley, "category": category,
                                         "since": now - timedelta(hours=rules.duplicate_window_hours)})
            if same is not None:
                logged, photo_ids = self._follow(s, same, user, text, photos, now)
            else:
                logged, photo_ids = self._create(s, user, source_key, spec.street_office, alley, category, text,
                                                 photos, lat, lng, now)
        self._after_commit(logged_events(logged), photo_ids)
        return logged

    def _create(self, s: Session, user: User, source_key: str, office: str, alley: str, category: str, text: str,
                photos: list[str], lat: float | None, lng: float | None, now: datetime,
                actor: str | None = None) -> tuple[Logged, list[int]]:
        triage = self._config.category(category).triage  # type: ignore[union-attr]
        # Who handles it is known before the row is written, and a new issue has no photos or followers yet
        # to read back: the row lock on the alley is held for as few statements as possible.
        handlers = self.handlers(s, alley)
        issue = Issue(
            reporter=user, source_key=source_key, alley=alley, street_office=office, category=category,
            triage=triage, text=text, lat=lat, lng=lng, status="received", escalated=False,
            handler_openid=handlers[0].openid if handlers else None, photos=[],
            due_at=now + timedelta(days=self._config.handling_days[triage]), created_at=now, updated_at=now)
        s.add(issue)
        s.flush()
        issue.ticket = f"{now.astimezone(BEIJING):%y%m%d}{issue.id:04d}"
        photo_ids = self._add_photos(s, issue, photos, "report")
        event = record_event(s, issue, "received", actor or user.openid, text[:500] or None)
        routed = "none" if not handlers else "chief" if handlers[0].role == "chief" else "office"
        return Logged("created", self._make_view(issue, 0, None), event_id=event, routed=routed), photo_ids

    @staticmethod
    def _reports_in_last_hour(s: Session, user_id: int, now: datetime) -> int:
        return int(s.scalar(_REPORTS_SINCE, {"user_id": user_id, "since": now - timedelta(hours=1)}) or 0)

    def _follow(self, s: Session, issue: Issue, user: User, text: str, photos: list[str],
                now: datetime) -> tuple[Logged, list[int]]:
        photo_ids = self._add_photos(s, issue, photos, "report")
        if issue.reporter_id == user.id:
            outcome = "again"
        else:
            # One statement where a savepoint around the insert took three.
            added = s.scalar(_follow_statement(s), {"issue_id": issue.id, "user_id": user.id, "text": text,
                                                     "created_at": now})
            outcome = "followed" if added is not None else "again"  # else they follow it already
        view = self._view(s, issue)
        return Logged(outcome, view, view.followers + 1), photo_ids

    def _add_photos(self, s: Session, issue: Issue, media_ids: Sequence[str], kind: str) -> list[int]:
        have = {p.media_id for p in issue.photos}
        room = self._config.issues.max_photos - sum(1 for p in issue.photos if p.kind == kind)
        added: list[IssuePhoto] = []
        for media_id in media_ids:
            if media_id in have or (kind == "report" and len(added) >= room):
                continue
            photo = IssuePhoto(issue_id=issue.id, media_id=media_id, kind=kind, status="pending", attempts=0,
                               created_at=datetime.now(UTC))
            s.add(photo)
            added.append(photo)
            have.add(media_id)
        s.flush()
        if added:
            s.expire(issue, ["photos"])
        return [p.id for p in added]

    def _handled(self, s: Session, user_id: int, ticket: str, lock: bool = True) -> tuple[User, Issue]:
        """The person and the ticket they act on (locked for a change), or the reason they may not."""
        user = s.get(User, user_id)
        query = select(Issue).where(Issue.ticket == ticket)
        issue = s.scalar(query.with_for_update(of=Issue) if lock else query)
        if issue is None or user is None:
            raise IssueError("not_found", f"no ticket {ticket}")
        if not self.may_handle(user, issue):
            raise IssueError("forbidden", f"user {user_id} may not handle {ticket}")
        return user, issue

    @staticmethod
    def _user(s: Session, user_id: int) -> User:
        user = s.get(User, user_id)
        if user is None:
            raise IssueError("unknown", f"no user {user_id}")
        return user

    def _recent_params(self, user_id: int, now: datetime) -> dict[str, Any]:
        return {"user_id": user_id, "since": now - timedelta(minutes=self._config.issues.attach_minutes)}

    def _recent(self, s: Session, user_id: int, now: datetime) -> Issue | None:
        """The user's latest own report within the attach window (photos, location and 撤回 act on it)."""
        return s.scalar(_RECENT, self._recent_params(user_id, now))

    def has_recent(self, user_id: int, now: datetime | None = None) -> bool:
        """Whether the user made a report within the attach window. Asked of every location and photo a
        resident sends, so it reads one id and no issue (the full issue with its photos and reporter cost ~2 ms
        of CPU), with a statement built once (building it took ~370 µs of the ~490 a call cost)."""
        with self._uow.autocommit() as conn:
            return conn.scalar(_HAS_RECENT, self._recent_params(user_id, now or datetime.now(UTC))) is not None

    def attach(self, user_id: int, photos: Sequence[str] = (), lat: float | None = None, lng: float | None = None,
               now: datetime | None = None) -> tuple[IssueView, int] | None:
        """Add photos or a location to the report just made; None when there is none within the window.

        Returns the issue and how many of the photos were added (0 when it already holds the maximum).
        """
        now = now or datetime.now(UTC)
        if not self.has_recent(user_id, now):  # most photos start a report: then no issue is loaded at all
            return None
        with self._uow() as uow:
            s = uow.session
            issue = self._recent(s, user_id, now)
            if issue is None:
                return None
            photo_ids = self._add_photos(s, issue, photos, "report")
            if lat is not None and lng is not None:
                issue.lat, issue.lng = lat, lng
            view = self._view(s, issue)
        self._after_commit([], photo_ids)
        return view, len(photo_ids)

    def withdraw(self, user_id: int, now: datetime | None = None) -> IssueView | None:
        """撤回: the user's report of the last few minutes, if nobody has started on it."""
        now = now or datetime.now(UTC)
        with self._uow() as uow:
            s = uow.session
            issue = self._recent(s, user_id, now)
            if issue is None:
                return None
            if issue.status != "received":
                raise IssueError("started", f"{issue.ticket} is {issue.status}")
            issue.status = "withdrawn"
            event = record_event(s, issue, "withdrawn", issue.reporter.openid)
            view = self._view(s, issue)
        self._after_commit([event])
        return view

    def mine(self, user_id: int, limit: int = 10) -> list[IssueView]:
        """我的反映: what the user reported or follows, newest first."""
        with self._uow() as uow:
            s = uow.session
            followed = select(IssueFollower.issue_id).where(IssueFollower.user_id == user_id)
            issues = s.scalars(select(Issue).where(or_(Issue.reporter_id == user_id, Issue.id.in_(followed)))
                               .order_by(Issue.id.desc()).limit(limit))
            return self._views(s, list(issues))

    def awaiting_rating(self, user_id: int, now: datetime | None = None) -> IssueView | None:
        """The latest resolved report of this user that they have not rated yet, within the rating window."""
        now = now or datetime.now(UTC)
        with self._uow() as uow:
            s = uow.session
            issue = s.scalar(select(Issue).where(
                Issue.reporter_id == user_id, Issue.status == "resolved", Issue.rating.is_(None),
                Issue.resolved_at >= now - timedelta(days=self._config.issues.rating_days))
                .order_by(Issue.resolved_at.desc()))
            return self._view(s, issue) if issue else None

    def rate(self, user_id: int, ticket: str, rating: int) -> IssueView:
        """Record the reporter's rating; 不满意 (1) reopens the issue and escalates it to the street staff."""
        if rating not in (1, 2, 3):
            raise IssueError("rating", "rating must be 1, 2 or 3")
        with self._uow() as uow:
            s = uow.session
            issue = s.scalar(select(Issue).where(Issue.ticket == ticket).with_for_update(of=Issue))
            if issue is None or issue.reporter_id != user_id:
                raise IssueError("not_found", f"no ticket {ticket} reported by user {user_id}")
            openid = issue.reporter.openid
            if issue.status != "resolved" or issue.rating is not None:
                raise IssueError("not_ratable", f"{ticket} is {issue.status}, rating {issue.rating}")
            issue.rating = rating
            events = [record_event(s, issue, "rated", openid, str(rating))]
            if rating == 1:
                issue.status, issue.escalated, issue.resolved_at = "in_progress", True, None
                events.append(record_event(s, issue, "reopened", openid, texts.REOPENED_NOTE))
            view = self._view(s, issue)
        self._after_commit(events)
        return view

    # --- chiefs and staff -----------------------------------------------------------------------------
    def check_action(self, user_id: int, ticket: str | None, action: str) -> ActionCheck:
        """Everything a handling message needs to decide its next question, read in one transaction: the
        ticket (if named) and whether this person may act on it now, and their open tickets to choose from."""
        _, allowed = ACTIONS[action]
        with self._uow() as uow:
            s = uow.session
            user = s.get(User, user_id)
            mine = self._open_for(s, user) if user is not None else []
            if ticket is None:
                return ActionCheck(None, None, mine)
            issue = s.scalar(select(Issue).where(Issue.ticket == ticket))
            if issue is None:
                return ActionCheck("not_found", None, mine)
            view = self._view(s, issue)
            if user is None or not self.may_handle(user, issue):
                return ActionCheck("forbidden", view, mine)
            if issue.status not in allowed:
                return ActionCheck("status", view, mine)
            return ActionCheck(None, view, mine)

    def act(self, user_id: int, ticket: str, action: str, note: str | None = None, department: str | None = None,
            after_photo: str | None = None, uploads: Sequence[bytes] = (), audit: Audit | None = None) -> IssueView:
        """受理 / 处理中 / 转派 / 办结 / 驳回 / 重新打开 by a chief or staff member allowed to handle the issue.

        ``uploads`` are after-photos sent from the console (image bytes): each is checked and stored before the
        transaction, so a file that is not an image refuses the whole action and nothing is applied."""
        if action not in ACTIONS:
            raise IssueError("action", f"unknown action {action}")
        target, allowed = ACTIONS[action]
        if action == "forward" and department not in self._config.issues.departments:
            raise IssueError("department", f"unknown department {department!r}")
        if action in NEEDS_NOTE and not (note or "").strip():
            raise IssueError("note", f"{action} needs a note")
        if uploads and action != "resolve":
            raise IssueError("upload", "only 办结 takes photos")
        if len(uploads) > self._config.issues.max_photos:
            raise IssueError("upload", f"at most {self._config.issues.max_photos} photos")
        cleaned = self._clean_uploads(uploads)
        with self._uow() as uow:
            s = uow.session
            user = s.get(User, user_id)
            issue = s.scalar(select(Issue).where(Issue.ticket == ticket).with_for_update(of=Issue))
            if issue is None:
                raise IssueError("not_found", f"no ticket {ticket}")
            if user is None or not self.may_handle(user, issue):
                raise IssueError("forbidden", f"user {user_id} may not handle {ticket}")
            if issue.status not in allowed:
                raise IssueError("status", f"{ticket} is {issue.status}; {action} needs {', '.join(allowed)}")
            photo_ids = self._apply(s, issue, target, note, department, after_photo)
            if action == "reopen":
                issue.resolved_at = None
            self._add_uploads(s, issue, cleaned)
            event = record_event(s, issue, EVENT_KINDS.get(action, target), user.openid, note or department)
            write_audit(s, audit, action, "ticket", ticket, issue.street_office,
                        "；".join(x for x in (department, note, f"{len(cleaned)} 张照片" if cleaned else None) if x))
            view = self._view(s, issue)
            steward = issue.reporter.role == "steward" and action == "accept"
            reported_on = beijing_day(aware(issue.created_at))
        self._after_commit([event], photo_ids)
        if steward:  # 报: a steward's report the chief takes on earns the patrol of that day its bonus
            self._enqueue("rescore_patrols", openid=view.reporter, day=reported_on, key=f"accepted-{view.ticket}")
        return view

    def _apply(self, s: Session, issue: Issue, status: str, note: str | None, department: str | None,
               after_photo: str | None) -> list[int]:
        issue.status = status
        if department:
            issue.department = department
        if note:
            issue.note = note.strip()
        if status == "resolved":
            issue.resolved_at = datetime.now(UTC)
        return self._add_photos(s, issue, [after_photo], "after") if after_photo else []

    def _clean_uploads(self, uploads: Sequence[bytes]) -> list[tuple[CleanPhoto, str, str]]:
        """Check, clean and store console uploads (no metadata kept, at most the configured size); returns each
        photo with its file and thumbnail references. Files of an action that then fails are left unreferenced."""
        if not uploads:
            return []
        if self._store is None:
            raise IssueError("upload", "no photo store configured")
        rules, out = self._config.issues, []
        for data in uploads:
            try:
                photo = clean(data, rules.photo_max_px, rules.thumbnail_px)
            except PhotoError as exc:
                raise IssueError("upload", str(exc)) from exc
            stem = f"{datetime.now(UTC):%Y/%m}/upload-{hashlib.sha256(photo.jpeg).hexdigest()[:24]}"
            out.append((photo, self._store.put(f"{stem}.jpg", photo.jpeg),
                        self._store.put(f"{stem}-thumb.jpg", photo.thumbnail)))
        return out

    @staticmethod
    def _add_uploads(s: Session, issue: Issue, cleaned: Sequence[tuple[CleanPhoto, str, str]]) -> None:
        have = {p.media_id for p in issue.photos}
        for photo, path, thumb in cleaned:
            key = f"upload:{path.rsplit('upload-', 1)[-1][:24]}"  # the same file twice is one photo
            if key in have:
                continue
            have.add(key)
            s.add(IssuePhoto(issue_id=issue.id, media_id=key, kind="after", status="stored", path=path,
                             thumb_path=thumb, phash=photo.phash, width=photo.width, height=photo.height,
                             attempts=0, created_at=datetime.now(UTC)))
        if cleaned:
            s.flush()
            s.expire(issue, ["photos"])

    def merge(self, user_id: int, ticket: str, into: str, audit: Audit | None = None) -> IssueView:
        """合并: an open ticket is the same problem as another open ticket of the same street office; its reporter
        becomes a follower of that one and hears so. A ticket the person may not handle reads as not found."""
        if ticket == into:
            raise IssueError("same", "a ticket cannot be merged into itself")
        with self._uow() as uow:
            s = uow.session
            user = s.get(User, user_id)
            # Both rows locked, in id order, so two merges the other way round cannot deadlock.
            found = {i.ticket: i for i in s.scalars(select(Issue).where(Issue.ticket.in_((ticket, into)))
                                                     .order_by(Issue.id).with_for_update(of=Issue))}
            issue, original = found.get(ticket), found.get(into)
            if issue is None or user is None:
                raise IssueError("not_found", f"no ticket {ticket}")
            if not self.may_handle(user, issue):
                raise IssueError("forbidden", f"user {user_id} may not handle {ticket}")
            if original is None or not self.may_handle(user, original):
                raise IssueError("into_not_found", f"no ticket {into} in this scope")
            if issue.status not in OPEN_STATUSES or original.status not in OPEN_STATUSES:
                raise IssueError("status", f"{ticket} is {issue.status}, {into} is {original.status}: not both open")
            if original.duplicate_of_id is not None:
                raise IssueError("status", f"{into} was itself merged")
            if original.reporter_id != issue.reporter_id and not s.scalar(select(IssueFollower.id).where(
                    IssueFollower.issue_id == original.id, IssueFollower.user_id == issue.reporter_id)):
                s.add(IssueFollower(issue_id=original.id, user_id=issue.reporter_id, text=issue.text,
                                    created_at=datetime.now(UTC)))
            issue.status, issue.duplicate_of_id = "duplicate", original.id
            event = record_event(s, issue, "merged", user.openid, into)
            write_audit(s, audit, "merge", "ticket", ticket, issue.street_office, into)
            view = self._view(s, issue)
        self._after_commit([event])
        return view

    def assignees(self, *alleys: str) -> list[tuple[int, str]]:
        """Who tickets of these alleys can be assigned to: their chiefs and their street offices' staff (each
        assignment is checked against its own ticket's alley)."""
        specs = [(a, spec.street_office if (spec := self._config.alley(a)) else None) for a in alleys]
        with self._uow() as uow:
            users = uow.session.scalars(select(User).where(User.role.in_(("chief", "staff"))).order_by(User.id))
            return [(u.id, self.person(u)) for u in users if any(answers_for(u, a, o) for a, o in specs)]

    def assign(self, user_id: int, ticket: str, assignee_id: int | None, audit: Audit | None = None) -> IssueView:
        """指派: give a ticket to one of the people who answer for its alley (None: to nobody); they are told."""
        with self._uow() as uow:
            s = uow.session
            user, issue = self._handled(s, user_id, ticket)
            assignee = s.get(User, assignee_id) if assignee_id is not None else None
            if assignee_id is not None and (assignee is None or not self.may_handle(assignee, issue)):
                raise IssueError("assignee", f"user {assignee_id} does not answer for {issue.alley}")
            if issue.assignee_id == assignee_id:
                return self._view(s, issue)
            issue.assignee_id = assignee_id
            label = self.person(assignee) if assignee else texts.UNASSIGNED
            event = record_event(s, issue, "assigned", user.openid, label)
            write_audit(s, audit, "assign", "ticket", ticket, issue.street_office, label)
            s.flush()
            s.expire(issue, ["assignee"])
            view = self._view(s, issue)
        self._after_commit([event])
        return view

    def enter(self, user_id: int, once: str, alley: str, category: str, text: str, channel: str,
              resident: str | None = None, name: str | None = None, phone: str | None = None,
              audit: Audit | None = None, now: datetime | None = None) -> IssueView:
        """A problem taken by phone or at the counter, entered on a resident's behalf: the resident's WeChat
        account when they have one (they then hear about it as if they had reported it), else their name and
        phone, kept for the ticket's handlers. ``once`` is the form's own token: sent twice, one ticket."""
        now = now or datetime.now(UTC)
        spec, cat = self._config.alley(alley), self._config.category(category)
        if spec is None:
            raise IssueError("alley", f"unknown alley {alley!r}")
        if cat is None:
            raise IssueError("category", f"unknown category {category!r}")
        if channel not in ("phone", "counter"):
            raise IssueError("channel", f"unknown channel {channel!r}")
        text, name, phone = (text or "").strip(), (name or "").strip() or None, (phone or "").strip() or None
        if not text:
            raise IssueError("text", "what the problem is")
        if len(text) > 2000:
            raise IssueError("text", "at most 2000 characters")
        if not resident and not phone:
            raise IssueError("contact", "a phone number when the resident has no WeChat account here")
        if phone and not PHONE.fullmatch(phone):
            raise IssueError("phone", f"not a phone number: {phone!r}")
        if name and len(name) > 32:
            raise IssueError("name", "at most 32 characters")
        source_key = f"desk-{once}"[:80]
        with self._uow() as uow:
            s = uow.session
            earlier = s.scalar(select(Issue).where(Issue.source_key == source_key))
            if earlier is not None:  # the same form sent again: the same ticket
                return self._view(s, earlier)
            user = s.get(User, user_id)
            if user is None or not answers_for(user, alley, spec.street_office):
                raise IssueError("forbidden", f"user {user_id} does not answer for {alley}")
            if resident:
                reporter = s.scalar(select(User).where(User.openid == resident.strip()))
                if reporter is None:
                    raise IssueError("resident", f"no follower {resident!r}")
            else:  # a walk-in: a row of its own that nothing is ever sent to
                reporter = User(openid=f"walkin-{uuid.uuid4().hex}", role="resident", subscribed=False,
                                created_at=now, updated_at=now)
                s.add(reporter)
                s.flush()
            s.execute(select(Alley.id).where(Alley.name == alley).with_for_update())
            logged, _ = self._create(s, reporter, source_key, spec.street_office, alley, category, text, [],
                                     None, None, now, actor=user.openid)
            issue = s.get(Issue, logged.issue.id)  # type: ignore[union-attr]
            assert issue is not None
            issue.channel, issue.contact_name, issue.contact_phone = channel, name, phone
            write_audit(s, audit, "enter", "ticket", issue.ticket or "", spec.street_office,
                        f"{texts.CHANNELS[channel]}：{text[:200]}")
            view = self._view(s, issue)
        self._after_commit(logged_events(logged))
        return view

    def publish(self, user_id: int, ticket: str, publish: bool, audit: Audit | None = None) -> IssueView:
        """公示: show a resolved ticket (its category, the handler's note, its photos) on the alley's public
        page, or take it off. Only a resolved ticket: a page of progress shows what was done."""
        with self._uow() as uow:
            s = uow.session
            _, issue = self._handled(s, user_id, ticket)
            if publish and issue.status != "resolved":
                raise IssueError("status", f"{ticket} is {issue.status}; only resolved tickets are shown")
            issue.publishable = publish
            write_audit(s, audit, "publish" if publish else "unpublish", "ticket", ticket, issue.street_office)
            return self._view(s, issue)

    def published(self, alley: str, limit: int = 12) -> list[IssueView]:
        """The alley's resolved tickets marked for its public page, the latest first."""
        with self._uow() as uow:
            rows = uow.session.scalars(select(Issue).where(Issue.alley == alley, Issue.publishable.is_(True),
                                                           Issue.status == "resolved")
                                       .order_by(Issue.resolved_at.desc()).limit(limit))
            return self._views(uow.session, list(rows))

    def message(self, user_id: int, ticket: str, text: str, audit: Audit | None = None) -> IssueView:
        """回复居民: a message from the handler to the ticket's reporter and followers, kept in its history."""
        text = (text or "").strip()
        if not text:
            raise IssueError("note", "the message is empty")
        if len(text) > MAX_MESSAGE_CHARS:
            raise IssueError("note", f"the message is over {MAX_MESSAGE_CHARS} characters")
        with self._uow() as uow:
            s = uow.session
            user, issue = self._handled(s, user_id, ticket, lock=False)
            event = record_event(s, issue, "message", user.openid, text)
            write_audit(s, audit, "message", "ticket", ticket, issue.street_office, text)
            view = self._view(s, issue)
        self._after_commit([event])
        return view

    def set_status(self, ticket: str, status: str, note: str | None = None, actor: str = "cli") -> IssueView:
        """Staff override from the command line: any status, recorded and notified like any other change."""
        if status not in texts.STATUS_NAMES:
            raise IssueError("status", f"unknown status {status}; use one of {', '.join(texts.STATUS_NAMES)}")
        with self._uow() as uow:
            s = uow.session
            issue = s.scalar(select(Issue).where(Issue.ticket == ticket).with_for_update(of=Issue))
            if issue is None:
                raise IssueError("not_found", f"no ticket {ticket}")
            if issue.status == status:
                return self._view(s, issue)
            self._apply(s, issue, status, note, None, None)
            event = record_event(s, issue, status, actor, note)
            view = self._view(s, issue)
        self._after_commit([event])
        return view

    def handling(self, user_id: int, limit: int = 10) -> list[IssueView]:
        """Open issues this chief or staff member may handle, oldest first (their to-do list)."""
        with self._uow() as uow:
            user = uow.session.get(User, user_id)
            return self._open_for(uow.session, user, limit) if user is not None else []

    def _open_for(self, s: Session, user: User, limit: int = 10) -> list[IssueView]:
        if user.role not in ("chief", "staff"):
            return []
        query = select(Issue).where(Issue.status.in_(OPEN_STATUSES)).order_by(Issue.id)
        if user.role == "chief":
            query = query.where(Issue.alley == (user.duty_alley.name if user.duty_alley else ""))
        elif user.duty_alley is not None:
            query = query.where(Issue.street_office == user.duty_alley.street_office)
        return self._views(s, list(s.scalars(query.limit(limit))))

    def alleys_without_chief(self) -> set[str]:
        """Alleys whose 街巷长 has no WeChat account bound here: their tickets go to the street office."""
        with self._uow() as uow:
            bound = set(uow.session.scalars(select(Alley.name).join(User, User.duty_alley_id == Alley.id)
                                            .where(User.role == "chief", User.subscribed.is_(True))))
        return {a.name for a in self._config.alleys} - bound

    # --- staff queries --------------------------------------------------------------------------------
    @staticmethod
    def _filtered(query: Any, f: TicketFilter) -> Any:
        if f.status:
            query = query.where(Issue.status == f.status)
        if f.alley:
            query = query.where(Issue.alley == f.alley)
        if f.within is not None:  # a console user's scope: the alleys they answer for
            query = query.where(Issue.alley.in_(list(f.within)))
        if f.category:
            query = query.where(Issue.category == f.category)
        if f.triage:
            query = query.where(Issue.triage == f.triage)
        if f.overdue:
            query = query.where(Issue.status.in_(OPEN_STATUSES), Issue.due_at < (f.now or datetime.now(UTC)))
        # Beijing calendar days, as a clerk means them, compared in UTC (SQLite keeps the UTC wall time only)
        if f.since:
            query = query.where(Issue.created_at >= datetime.combine(f.since, time(), BEIJING).astimezone(UTC))
        if f.until:
            until = datetime.combine(f.until + timedelta(days=1), time(), BEIJING).astimezone(UTC)
            query = query.where(Issue.created_at < until)
        if f.assignee_id is not None:
            query = query.where(Issue.assignee_id == f.assignee_id)
        words = (f.text or "").strip()
        if words.isdigit():  # a ticket number, or the start of one
            query = query.where(Issue.ticket.startswith(words))
        elif words:
            escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Issue.text.ilike(f"%{escaped}%", escape="\\"))
        return query

    def count(self, status: str | None = None, alley: str | None = None,
              within: Sequence[str] | None = None, where: TicketFilter | None = None) -> int:
        where = where or TicketFilter(status=status, alley=alley, within=within)
        with self._uow() as uow:
            return int(uow.session.scalar(self._filtered(select(func.count()).select_from(Issue), where)) or 0)

    def status_counts(self, within: Sequence[str] | None = None) -> dict[str, int]:
        """Tickets per status (one GROUP BY), within the given alleys."""
        with self._uow() as uow:
            query = self._filtered(select(Issue.status, func.count()).group_by(Issue.status),
                                   TicketFilter(within=within))
            return {str(k): int(v) for k, v in uow.session.execute(query)}

    def find(self, status: str | None = None, alley: str | None = None, limit: int | None = None,
             offset: int = 0, within: Sequence[str] | None = None, where: TicketFilter | None = None,
             order: str = "old") -> list[IssueView]:
        """Issues in the given order (old: oldest first; new: newest first; due: the most urgent first), a page
        when ``limit`` is given. A whole list is read in chunks of a constant number of queries each, so 100,000
        tickets cost ~3 queries per thousand, not 2 per ticket."""
        where = where or TicketFilter(status=status, alley=alley, within=within)
        if order not in ORDERS:
            raise IssueError("order", f"unknown order {order}; use one of {', '.join(ORDERS)}")
        with self._uow() as uow:
            query = self._filtered(select(Issue), where)
            if limit is not None:  # one page: LIMIT/OFFSET on the order's index
                issues = list(uow.session.scalars(query.order_by(*ORDERS[order]).offset(offset).limit(limit)))
                return self._views(uow.session, issues)
            return self._find_all(uow.session, query.order_by(Issue.id), offset)

    def located(self, where: TicketFilter, limit: int = 2000) -> list[Located]:
        """The newest tickets of a filter that have a location, for a map: a few columns, no views."""
        with self._uow() as uow:
            query = self._filtered(select(Issue.ticket, Issue.lat, Issue.lng, Issue.category, Issue.status), where)
            rows = uow.session.execute(query.where(Issue.lat.is_not(None), Issue.lng.is_not(None))
                                       .order_by(Issue.id.desc()).limit(limit))
            return [Located(t or "", float(lat), float(lng),
                            (c.name if (c := self._config.category(cat)) else cat), texts.STATUS_NAMES[st])
                    for t, lat, lng, cat, st in rows]

    def _find_all(self, s: Session, query: Any, offset: int) -> list[IssueView]:
        views: list[IssueView] = []
        after = None
        if offset:
            after = s.scalar(query.with_only_columns(Issue.id).offset(offset - 1).limit(1))
            if after is None:
                return []
        while True:
            issues = list(s.scalars((query.where(Issue.id > after) if after is not None else query).limit(FIND_CHUNK)))
            views += self._views(s, issues)
            s.expunge_all()  # a long list must not keep every row it read in the session
            if len(issues) < FIND_CHUNK:
                return views
            after = issues[-1].id

    def show(self, ticket: str) -> IssueView:
        with self._uow() as uow:
            issue = uow.session.scalar(select(Issue).where(Issue.ticket == ticket))
            if issue is None:
                raise IssueError("not_found", f"no ticket {ticket}")
            return self._view(uow.session, issue)

    def history(self, ticket: str) -> list[dict[str, Any]]:
        with self._uow() as uow:
            issue = uow.session.scalar(select(Issue).where(Issue.ticket == ticket))
            if issue is None:
                raise IssueError("not_found", f"no ticket {ticket}")
            events = uow.session.scalars(select(IssueEvent).where(IssueEvent.issue_id == issue.id)
                                         .order_by(IssueEvent.id))
            return [{"kind": e.kind, "actor": e.actor, "note": e.note, "at": aware(e.at).isoformat()}
                    for e in events]

    def overdue(self, now: datetime | None = None) -> list[IssueView]:
        """Open issues past their promised handling time."""
        now = now or datetime.now(UTC)
        with self._uow() as uow:
            issues = uow.session.scalars(select(Issue).where(Issue.status.in_(OPEN_STATUSES), Issue.due_at < now)
                                         .order_by(Issue.due_at))
            return self._views(uow.session, list(issues))

    def remind_overdue(self, now: datetime | None = None) -> int:
        """Remind each overdue issue's chief once per day and escalate it to the street staff (once)."""
        now = now or datetime.now(UTC)
        today = beijing_day(now)
        events: list[int] = []
        reminded = 0
        with self._uow() as uow:
            s = uow.session
            issues = s.scalars(select(Issue).where(Issue.status.in_(OPEN_STATUSES), Issue.due_at < now,
                                                   or_(Issue.reminded_on.is_(None), Issue.reminded_on != today))
                               .with_for_update(of=Issue))
            for issue in issues:
                issue.reminded_on = today
                reminded += 1
                events.append(record_event(s, issue, "reminded", "system", today))
                if not issue.escalated:
                    issue.escalated = True
                    events.append(record_event(s, issue, "escalated", "system", texts.OVERDUE_NOTE))
        self._after_commit(events)
        return reminded

    def unnotified_events(self, older_than: timedelta, now: datetime | None = None) -> list[int]:
        """Events whose notices were never written out (their job was lost): the sweep expands them."""
        cutoff = (now or datetime.now(UTC)) - older_than
        with self._uow() as uow:
            return list(uow.session.scalars(select(IssueEvent.id).where(IssueEvent.notified.is_(False),
                                                                        IssueEvent.at < cutoff)
                                            .order_by(IssueEvent.id).limit(500)))

    def event(self, event_id: int) -> tuple[IssueEvent, IssueView] | None:
        """An event with its issue as it is now (for the notification job)."""
        with self._uow() as uow:
            event = uow.session.get(IssueEvent, event_id)
            if event is None:
                return None
            issue = uow.session.get(Issue, event.issue_id)
            assert issue is not None
            uow.session.expunge(event)
            return event, self._view(uow.session, issue)
