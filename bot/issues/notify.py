"""Who hears about a change to an issue, and what they read.

New ticket → the alley's handlers (chief, else street staff). Status change → the reporter and followers.
Resolved → the reporter is also asked to rate it (and offered an open poll). 不满意 or overdue → street staff.
Each notice is keyed by (event, recipient): running the job twice sends nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select

from bot.core.db import UnitOfWork
from bot.core.models import Issue, IssueEvent, IssueFollower, Notice, User
from bot.issues import texts
from bot.issues.photos import IssuePhotos
from bot.issues.service import Issues, IssueView
from bot.notices.service import Notices, Sent, owe_openid
from bot.polls import texts as poll_texts
from bot.polls.service import Polls

log = logging.getLogger(__name__)

TO_REPORTERS = ("accepted", "in_progress", "forwarded", "resolved", "rejected", "reopened", "reopened_staff")


class IssueNotifier:
    def __init__(self, uow: Callable[[], UnitOfWork], issues: Issues, notices: Notices, photos: IssuePhotos,
                 polls: Polls) -> None:
        self._uow = uow
        self._issues = issues
        self._notices = notices
        self._photos = photos
        self._polls = polls

    def _reporters(self, issue_id: int) -> tuple[tuple[int, str], list[str]]:
        """The reporter (id, openid) and the followers' openids (anonymised users stay in and are skipped on
        sending)."""
        with self._uow() as uow:
            issue = uow.session.get(Issue, issue_id)
            assert issue is not None
            followers = uow.session.scalars(select(User.openid).join(IssueFollower, IssueFollower.user_id == User.id)
                                            .where(IssueFollower.issue_id == issue_id).order_by(IssueFollower.id))
            return (issue.reporter_id, issue.reporter.openid), list(followers)

    def _openid(self, user_id: int) -> str | None:
        with self._uow() as uow:
            user = uow.session.get(User, user_id)
            return user.openid if user is not None else None

    def _handler_users(self, alley: str) -> list[tuple[str, str]]:
        with self._uow() as uow:
            return [(u.openid, u.role) for u in self._issues.handlers(uow.session, alley)]

    def _handlers(self, alley: str) -> list[str]:
        with self._uow() as uow:
            return [u.openid for u in self._issues.handlers(uow.session, alley)]

    def _staff(self, office: str) -> list[str]:
        with self._uow() as uow:
            return [u.openid for u in self._issues.street_staff(uow.session, office)]

    def notify(self, event_id: int) -> dict[str, Sent]:
        """Write out the notices this event owes (once, in one transaction) and deliver them; returns the
        outcome per recipient. Running it again delivers what is still owed and writes nothing twice."""
        found = self._issues.event(event_id)
        if found is None:
            return {}
        event, issue = found
        messages = [] if event.notified else self._messages(event.kind, event.note, issue)
        with self._uow() as uow:
            s = uow.session
            row = s.scalar(select(IssueEvent).where(IssueEvent.id == event_id).with_for_update())
            if row is not None and not row.notified:
                for openid, text in messages:
                    owe_openid(s, openid, f"issue:{event_id}:{openid}", text)
                row.notified = True
            owed = list(s.execute(select(Notice.id, User.openid).join(User, User.id == Notice.user_id)
                                  .where(Notice.key.startswith(f"issue:{event_id}:"))))
        results = {openid: self._notices.deliver(notice_id) for notice_id, openid in owed}
        log.info("issue %s event %s (%s): %s", issue.ticket, event_id, event.kind,
                 {k: v.status for k, v in results.items()})
        return results

    def _messages(self, kind: str, note: str | None, issue: IssueView) -> list[tuple[str, str]]:
        days = self._issues_days(issue)
        if kind == "received":
            handlers = self._handler_users(issue.alley)
            unassigned = not any(role == "chief" for _, role in handlers)
            return [(o, texts.issue_for_handler(issue, days, unassigned)) for o, _ in handlers]
        if kind == "withdrawn":
            return [(o, texts.issue_withdrawn_for_handler(issue.ticket)) for o in self._handlers(issue.alley)]
        if kind == "reminded":
            return [(o, texts.issue_overdue(issue)) for o in self._handlers(issue.alley)]
        if kind == "escalated":
            overdue = texts.issue_escalated(issue, texts.ESCALATED_OVERDUE)
            return [(o, overdue) for o in self._staff(issue.street_office)]
        if kind == "rated":
            rating = int(note or 0)
            if rating not in texts.RATING_WORDS:
                return []
            return [(o, texts.issue_rated(issue, rating)) for o in self._handlers(issue.alley)]
        if kind == "duplicate":
            (_, reporter), _ = self._reporters(issue.id)
            return [(reporter, texts.issue_merged(issue, note or ""))]
        if kind == "assigned":
            assignee = self._openid(issue.assignee_id) if issue.assignee_id else None
            return [(assignee, texts.issue_assigned(issue))] if assignee else []
        if kind == "merged":
            (_, reporter), _ = self._reporters(issue.id)
            return [(reporter, texts.issue_merged_by_handler(issue, note or ""))]
        if kind == "message":
            (_, reporter), followers = self._reporters(issue.id)
            text = texts.issue_message(issue, note or "")
            return [(o, text) for o in dict.fromkeys([reporter, *followers])]
        if kind not in TO_REPORTERS:
            return []
        (reporter_id, reporter), followers = self._reporters(issue.id)
        progress = texts.issue_progress(issue, kind, issue.department if kind == "forwarded" else note)
        messages = [(reporter, self._for_reporter(reporter_id, kind, issue, progress))]
        messages += [(f, progress) for f in followers if f != reporter]
        if kind == "reopened":
            messages += [(o, texts.issue_escalated(issue, texts.ESCALATED_REOPENED))
                         for o in {*self._staff(issue.street_office), *self._handlers(issue.alley)}]
        return messages

    def _for_reporter(self, reporter_id: int, kind: str, issue: IssueView, progress: str) -> str:
        if kind != "resolved":
            return progress
        text = f"{progress}\n{texts.ask_rating(issue.ticket)}"
        poll = self._polls.invite(reporter_id, via="after_resolved")
        if poll is not None:  # issue 6: a poll is offered after the resident's issue is resolved
            text += "\n\n" + poll_texts.poll_invitation(len(poll.questions))
        return text

    def _issues_days(self, issue: IssueView) -> int:
        return max(1, round((issue.due_at - issue.created_at).total_seconds() / 86400))

    def send_thumbnail(self, photo_id: int) -> dict[str, Sent]:
        """The first photo of a new ticket, as an image after the text, to the alley's handlers."""
        found = self._photos.thumbnail(photo_id)
        if found is None:
            return {}
        ticket, data = found
        issue = self._issues.show(ticket)
        if issue.status == "duplicate":
            return {}
        return {o: self._notices.send_image(o, f"thumb:{photo_id}:{o}", data) for o in self._handlers(issue.alley)}
