"""Quick satisfaction polls: create, invite, answer (the last answer counts, once), close, results.

Results follow the survey behind this project: a three-level scale (3 满意/赞同, 2 一般, 1 不满意/反对), mean and
95% CI per question and alley, Pearson correlations between questions. Alleys with fewer than
MIN_GROUP answers are left out of the breakdown so that nobody's answer can be singled out.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.core.audit import Audit, write_audit
from bot.core.clock import aware
from bot.core.config import AppConfig
from bot.core.db import UnitOfWork
from bot.core.models import Poll, PollAnswer, PollInvitation, PollQuestion, User
from bot.polls import texts
from bot.polls.stats import mean_ci95, pearson

SCALES = ("satisfaction", "agreement")
MIN_GROUP = 5
SERVICE_WINDOW = timedelta(hours=48)
OPEN_CACHE_SECONDS = 10.0


class PollError(Exception):
    """A request the caller got wrong (unknown poll, alley or scale); the message says which."""


@dataclass(frozen=True)
class QuestionView:
    id: int
    position: int
    text: str


@dataclass(frozen=True)
class PollView:
    id: int
    scale: str
    questions: tuple[QuestionView, ...]
    open: bool


@dataclass(frozen=True)
class PollSummary:
    poll: PollView
    audience: str  # the alleys or the street office, in words
    created_at: datetime
    closes_at: datetime | None
    answered: int  # people who answered at least one question


@dataclass(frozen=True)
class Answered:
    recorded: bool  # False: the poll had closed
    replaced: bool  # an earlier answer to this question was replaced
    next_question: QuestionView | None


def _is_open(poll: Poll, now: datetime) -> bool:
    closes = aware(poll.closes_at)
    return not poll.closed and (aware(poll.opens_at) or now) <= now and (closes is None or now < closes)


def _view(poll: Poll, now: datetime) -> PollView:
    return PollView(poll.id, poll.scale, tuple(QuestionView(q.id, q.position, q.text) for q in poll.questions),
                    _is_open(poll, now))


class Polls:
    def __init__(self, uow: Callable[[], UnitOfWork], config: AppConfig,
                 announce: Callable[[int, datetime], None] | None = None) -> None:
        self._uow = uow
        self._config = config
        self._announce = announce  # called with a new poll's id and opening time: the runtime queues its push
        # Which polls are open, and for whom, per process for OPEN_CACHE_SECONDS: every message asks whether
        # to add an invitation, and nearly always no poll is open. A poll created by another process is
        # offered at most that many seconds late.
        self._open_cache: tuple[float, list[tuple[list[str], str | None, datetime, datetime | None]]] | None = None

    # --- staff ----------------------------------------------------------------------------------------
    def create(self, questions: Sequence[str], scale: str = "satisfaction", alleys: Sequence[str] = (),
               street_office: str | None = None, closes_at: datetime | None = None,
               created_by: str | None = None, opens_at: datetime | None = None,
               audit: Audit | None = None) -> PollView:
        texts = [q.strip() for q in questions if q.strip()]
        if not texts:
            raise PollError("a poll needs at least one question")
        if scale not in SCALES:
            raise PollError(f"unknown scale {scale}; use one of {', '.join(SCALES)}")
        unknown = [a for a in alleys if self._config.alley(a) is None]
        if unknown:
            raise PollError(f"unknown alley: {', '.join(unknown)}")
        if street_office and street_office not in self._config.street_offices:
            raise PollError(f"unknown street office: {street_office}")
        now = datetime.now(UTC)
        opens = aware(opens_at) or now
        if closes_at is not None and aware(closes_at) <= max(now, opens):
            raise PollError("the closing time is in the past or before the opening time")
        with self._uow() as uow:
            poll = Poll(scale=scale, target_alleys=list(alleys), target_office=street_office, opens_at=opens,
                        closes_at=closes_at, closed=False, created_by=created_by)
            uow.session.add(poll)
            uow.session.flush()
            for position, text in enumerate(texts, 1):
                uow.session.add(PollQuestion(poll_id=poll.id, position=position, text=text))
            offices = {spec.street_office for a in alleys if (spec := self._config.alley(a))}
            write_audit(uow.session, audit, "poll_create", "poll", str(poll.id),
                        street_office or (offices.pop() if len(offices) == 1 else None), "；".join(texts)[:500])
            uow.session.flush()
            uow.session.refresh(poll)
            view = _view(poll, now)
        self._open_cache = None
        if self._announce is not None:
            self._announce(view.id, opens)
        return view

    def close(self, poll_id: int, audit: Audit | None = None) -> PollView:
        self._open_cache = None
        with self._uow() as uow:
            poll = uow.session.get(Poll, poll_id)
            if poll is None:
                raise PollError(f"no poll {poll_id}")
            poll.closed = True
            offices = {spec.street_office for a in poll.target_alleys if (spec := self._config.alley(a))}
            write_audit(uow.session, audit, "poll_close", "poll", str(poll_id),
                        poll.target_office or (offices.pop() if len(offices) == 1 else None))
            return _view(poll, datetime.now(UTC))

    def within(self, alleys: Sequence[str], offices: Sequence[str], limit: int = 100) -> list[PollSummary]:
        """Polls whose audience lies within this scope (their alleys, or one of these street offices), newest
        first, with how many people answered: the console's list."""
        scope, now = set(alleys), datetime.now(UTC)
        with self._uow() as uow:
            s = uow.session
            polls = [p for p in s.scalars(select(Poll).order_by(Poll.id.desc()).limit(limit * 10))
                     if (p.target_office and p.target_office in offices)
                     or (not p.target_office and p.target_alleys and set(p.target_alleys) <= scope)][:limit]
            answered = {int(k): int(v) for k, v in s.execute(
                select(PollAnswer.poll_id, func.count(func.distinct(PollAnswer.user_id)))
                .where(PollAnswer.poll_id.in_([p.id for p in polls])).group_by(PollAnswer.poll_id))} if polls else {}
            return [PollSummary(_view(p, now), p.target_office or "、".join(p.target_alleys), aware(p.created_at),
                                aware(p.closes_at), answered.get(p.id, 0)) for p in polls]

    # --- residents ------------------------------------------------------------------------------------
    def might_invite(self, alley: str | None) -> bool:
        """Cheap check, no database most of the time: is any open poll meant for someone of this alley?"""
        now = datetime.now(UTC)
        if self._open_cache is None or time.monotonic() - self._open_cache[0] > OPEN_CACHE_SECONDS:
            with self._uow() as uow:
                polls = uow.session.scalars(select(Poll).where(Poll.closed.is_(False)))
                targets = [(list(p.target_alleys), p.target_office, aware(p.opens_at) or now, aware(p.closes_at))
                           for p in polls]
            self._open_cache = (time.monotonic(), targets)
        spec = self._config.alley(alley) if alley else None
        for alleys, office, opens, closes in self._open_cache[1]:
            same_office = spec is not None and spec.street_office == office
            meant = (not alleys and not office) or alley in alleys or same_office
            if meant and opens <= now and (closes is None or now < closes):
                return True
        return False

    def _targets(self, poll: Poll, alley: str | None) -> bool:
        if not poll.target_alleys and not poll.target_office:
            return True
        if alley is None:
            return False
        spec = self._config.alley(alley)
        return alley in poll.target_alleys or (spec is not None and spec.street_office == poll.target_office)

    @staticmethod
    def _user(uow: UnitOfWork, user_id: int) -> User | None:
        return uow.session.get(User, user_id)

    def _open_for(self, uow: UnitOfWork, user: User, now: datetime) -> list[Poll]:
        alley = user.home_alley.name if user.home_alley else None
        polls = uow.session.scalars(select(Poll).where(Poll.closed.is_(False)).order_by(Poll.id))
        return [p for p in polls if _is_open(p, now) and self._targets(p, alley)]

    @staticmethod
    def _answered(uow: UnitOfWork, user_id: int, poll_id: int) -> set[int]:
        return set(uow.session.scalars(select(PollAnswer.question_id).where(
            PollAnswer.poll_id == poll_id, PollAnswer.user_id == user_id)))

    def next_question(self, user_id: int, alley: str | None) -> tuple[PollView, QuestionView, bool] | None:
        """满意度调查: the first unanswered question of an open poll, else the first question of the latest poll
        they finished (True: answering again); one transaction, none when no open poll is meant for ``alley``."""
        if not self.might_invite(alley):
            return None
        with self._uow() as uow:
            return self._next(uow, user_id, again=True)

    def pending(self, user_id: int) -> tuple[PollView, QuestionView] | None:
        """The first open poll for this user with a question they have not answered, and that question."""
        with self._uow() as uow:
            found = self._next(uow, user_id, again=False)
        return (found[0], found[1]) if found else None

    def _next(self, uow: UnitOfWork, user_id: int, again: bool) -> tuple[PollView, QuestionView, bool] | None:
        now = datetime.now(UTC)
        user = self._user(uow, user_id)
        if user is None:
            return None
        polls = self._open_for(uow, user, now)
        for poll in polls:
            done = self._answered(uow, user.id, poll.id)
            todo = [q for q in poll.questions if q.id not in done]
            if todo:
                return _view(poll, now), QuestionView(todo[0].id, todo[0].position, todo[0].text), False
        finished = [p for p in polls if p.questions] if again else []
        if finished:
            first = finished[-1].questions[0]
            return _view(finished[-1], now), QuestionView(first.id, first.position, first.text), True
        return None

    def answer(self, user_id: int, poll_id: int, question_id: int, rating: int) -> Answered:
        if rating not in (1, 2, 3):
            raise PollError("rating must be 1, 2 or 3")
        now = datetime.now(UTC)
        with self._uow() as uow:
            poll = uow.session.get(Poll, poll_id)
            user = self._user(uow, user_id)
            if poll is None or user is None or question_id not in {q.id for q in poll.questions}:
                raise PollError(f"no question {question_id} in poll {poll_id} for user {user_id}")
            if not _is_open(poll, now):
                return Answered(False, False, None)
            alley = user.home_alley.name if user.home_alley else None
            existing = uow.session.scalar(select(PollAnswer).where(
                PollAnswer.question_id == question_id, PollAnswer.user_id == user.id))
            if existing is not None:
                existing.rating, existing.alley, existing.answered_at = rating, alley, now
            else:
                try:
                    with uow.session.begin_nested():  # a concurrent first answer wins; this one becomes an update
                        uow.session.add(PollAnswer(poll_id=poll_id, question_id=question_id, user_id=user.id,
                                                   alley=alley, rating=rating, answered_at=now))
                except IntegrityError:
                    existing = uow.session.scalar(select(PollAnswer).where(
                        PollAnswer.question_id == question_id, PollAnswer.user_id == user.id))
                    assert existing is not None
                    existing.rating, existing.alley, existing.answered_at = rating, alley, now
            later = [q for q in poll.questions if q.position > next(
                x.position for x in poll.questions if x.id == question_id)]
            nxt = QuestionView(later[0].id, later[0].position, later[0].text) if later else None
            return Answered(True, existing is not None, nxt)

    def invite(self, user_id: int, via: str, poll_id: int | None = None) -> PollView | None:
        """An open poll (this one, if given) the user was never invited to and has not answered; recorded."""
        now = datetime.now(UTC)
        with self._uow() as uow:
            user = self._user(uow, user_id)
            if user is None or not user.subscribed:
                return None
            invited = set(uow.session.scalars(select(PollInvitation.poll_id).where(PollInvitation.user_id == user.id)))
            for poll in self._open_for(uow, user, now):
                if poll.id in invited or (poll_id is not None and poll.id != poll_id) \
                        or self._answered(uow, user.id, poll.id):
                    continue
                try:
                    with uow.session.begin_nested():
                        uow.session.add(PollInvitation(poll_id=poll.id, user_id=user.id, via=via, invited_at=now))
                except IntegrityError:  # invited by another worker a moment ago
                    continue
                return _view(poll, now)
            return None

    def push_audience(self, poll_id: int, now: datetime | None = None) -> list[tuple[int, str]]:
        """Who a poll may be pushed to (user id, openid): targeted, subscribed, inside the 48-hour window, not yet
        invited."""
        now = now or datetime.now(UTC)
        with self._uow() as uow:
            poll = uow.session.get(Poll, poll_id)
            if poll is None or not _is_open(poll, now):
                return []
            invited = set(uow.session.scalars(select(PollInvitation.user_id).where(PollInvitation.poll_id == poll_id)))
            users = uow.session.scalars(select(User).where(User.subscribed.is_(True),
                                                           User.last_message_at >= now - SERVICE_WINDOW))
            return [(u.id, u.openid) for u in users if u.id not in invited
                    and self._targets(poll, u.home_alley.name if u.home_alley else None)]

    # --- results --------------------------------------------------------------------------------------
    def results(self, poll_id: int) -> dict[str, Any]:
        with self._uow() as uow:
            poll = uow.session.get(Poll, poll_id)
            if poll is None:
                raise PollError(f"no poll {poll_id}")
            answers = list(uow.session.scalars(select(PollAnswer).where(PollAnswer.poll_id == poll_id)))
            questions = [(q.id, q.text) for q in poll.questions]
            scale, is_open = poll.scale, _is_open(poll, datetime.now(UTC))
        by_question: dict[int, list[PollAnswer]] = {qid: [] for qid, _ in questions}
        for a in answers:
            by_question[a.question_id].append(a)
        out_questions = []
        for qid, text in questions:
            rows = by_question[qid]
            summary = _summary([a.rating for a in rows])
            groups: dict[str, list[int]] = {}
            for a in rows:
                groups.setdefault(a.alley or texts.NO_ALLEY, []).append(a.rating)
            by_alley = {alley: _summary(r) for alley, r in sorted(groups.items()) if len(r) >= MIN_GROUP}
            out_questions.append({"id": qid, "text": text, **summary, "by_alley": by_alley,
                                  "hidden_alleys": sum(1 for r in groups.values() if len(r) < MIN_GROUP)})
        ratings = {qid: {a.user_id: a.rating for a in rows} for qid, rows in by_question.items()}
        correlations = []
        for (qa, ta), (qb, tb) in itertools.combinations(questions, 2):
            both = sorted(set(ratings[qa]) & set(ratings[qb]))
            r, p = pearson([ratings[qa][u] for u in both], [ratings[qb][u] for u in both])
            correlations.append({"a": ta, "b": tb, "r": _round(r), "p": _round(p, 6), "n": len(both)})
        return {"id": poll_id, "scale": scale, "open": is_open, "questions": out_questions,
                "correlations": correlations}


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _summary(ratings: list[int]) -> dict[str, Any]:
    mean, ci = mean_ci95(ratings, bounds=(1.0, 3.0))
    counts = Counter(ratings)
    return {"n": len(ratings), "mean": _round(mean), "ci95": [_round(ci[0]), _round(ci[1])] if ci else None,
            "distribution": {str(k): counts.get(k, 0) for k in (1, 2, 3)}}
