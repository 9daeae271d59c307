"""Downloading the photos of an issue from WeChat (MediaIds expire after 3 days) and spotting repeated scenes.

The download runs in a job, outside any transaction: claim the photo row, fetch and clean the image, store the
files, then record the result. A failed download (40007 invalid media, or network trouble after retries) is
written on the photo row and the issue carries on without it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import AppConfig
from bot.core.db import UnitOfWork
from bot.core.models import OPEN_STATUSES, Issue, IssueFollower, IssuePhoto
from bot.issues.photo_files import PhotoError, PhotoStore, clean, hash_distance
from bot.issues.service import record_event
from bot.wechat.api import MEDIA_TOO_LARGE, WeChatAPI, WeChatAPIError

log = logging.getLogger(__name__)

# Invalid media id, credentials, appid, or bigger than any WeChat photo: retrying will not help.
PERMANENT_ERRORS = (40007, 40001, 40013, MEDIA_TOO_LARGE)
RETRY_DELAYS = (1.0, 3.0)  # seconds between the three attempts at a transient failure


@dataclass(frozen=True)
class Fetched:
    status: str  # stored | failed | skipped (already done, or unknown photo)
    duplicate_of: str | None = None  # the ticket this photo shows again, when the issue was merged into it
    first_of_issue: bool = False  # the first stored report photo: the handler gets its thumbnail


class IssuePhotos:
    def __init__(self, uow: Callable[[], UnitOfWork], config: AppConfig, api: WeChatAPI, store: PhotoStore,
                 enqueue: Callable[..., None], sleep: Callable[[float], None] = time.sleep) -> None:
        self._uow = uow
        self._config = config
        self._api = api
        self._store = store
        self._enqueue = enqueue
        self._sleep = sleep

    def _download(self, media_id: str) -> bytes:
        for attempt, delay in enumerate((*RETRY_DELAYS, None)):
            try:
                return self._api.download_media(media_id)
            except WeChatAPIError as exc:
                if exc.errcode in PERMANENT_ERRORS or delay is None:
                    raise
                log.info("media %s attempt %d failed (%s); retrying", media_id, attempt + 1, exc)
                self._sleep(delay)
        raise AssertionError("unreachable")

    def fetch(self, photo_id: int) -> Fetched:
        with self._uow() as uow:
            photo = uow.session.get(IssuePhoto, photo_id)
            if photo is None or photo.status != "pending":
                return Fetched("skipped")
            photo.attempts += 1
            media_id, issue_id, kind = photo.media_id, photo.issue_id, photo.kind
        rules = self._config.issues
        try:
            cleaned = clean(self._download(media_id), rules.photo_max_px, rules.thumbnail_px)
        except (WeChatAPIError, PhotoError) as exc:
            log.warning("photo %s of issue %s not downloaded: %s", media_id, issue_id, exc)
            with self._uow() as uow:
                photo = uow.session.get(IssuePhoto, photo_id)
                assert photo is not None
                photo.status, photo.error = "failed", str(exc)[:500]
            return Fetched("failed")
        stem = f"{datetime.now(UTC):%Y/%m}/{issue_id}-{photo_id}"
        path = self._store.put(f"{stem}.jpg", cleaned.jpeg)
        thumb = self._store.put(f"{stem}-thumb.jpg", cleaned.thumbnail)
        with self._uow() as uow:
            s = uow.session
            photo = s.get(IssuePhoto, photo_id)
            assert photo is not None
            photo.status, photo.path, photo.thumb_path = "stored", path, thumb
            photo.phash, photo.width, photo.height, photo.error = cleaned.phash, cleaned.width, cleaned.height, None
            first = kind == "report" and not s.scalar(select(IssuePhoto.id).where(
                IssuePhoto.issue_id == issue_id, IssuePhoto.kind == "report", IssuePhoto.status == "stored",
                IssuePhoto.id != photo_id))
            duplicate_of, event_id = (self._merge_if_seen(s, issue_id, cleaned.phash) if kind == "report"
                                      else (None, None))
        if event_id is not None:
            self._enqueue("notify_issue", event_id=event_id)
        elif first:
            self._enqueue("send_issue_thumbnail", photo_id=photo_id)
        return Fetched("stored", duplicate_of, first and duplicate_of is None)

    def _merge_if_seen(self, s: Session, issue_id: int, phash: str) -> tuple[str | None, int | None]:
        """A new ticket whose photo shows the scene of another open ticket joins it: reporter becomes follower."""
        issue = s.scalar(select(Issue).where(Issue.id == issue_id).with_for_update(of=Issue))
        if issue is None or issue.status != "received":  # a chief already took it on: keep it as it is
            return None, None
        since = datetime.now(UTC) - timedelta(hours=max(self._config.issues.duplicate_window_hours, 24))
        others = s.execute(select(IssuePhoto.phash, Issue).join(Issue, Issue.id == IssuePhoto.issue_id).where(
            IssuePhoto.phash.is_not(None), IssuePhoto.kind == "report", Issue.id < issue_id,
            Issue.status.in_(OPEN_STATUSES), Issue.created_at >= since))
        for other_hash, other in others:
            if other_hash is None or hash_distance(phash, other_hash) > self._config.issues.photo_hash_distance:
                continue
            if other.reporter_id != issue.reporter_id and not s.scalar(select(IssueFollower.id).where(
                    IssueFollower.issue_id == other.id, IssueFollower.user_id == issue.reporter_id)):
                s.add(IssueFollower(issue_id=other.id, user_id=issue.reporter_id, text=issue.text,
                                    created_at=datetime.now(UTC)))
            issue.status, issue.duplicate_of_id = "duplicate", other.id
            event = record_event(s, issue, "duplicate", "system", other.ticket or "")
            return other.ticket, event
        return None, None

    def thumbnail(self, photo_id: int) -> tuple[str, bytes] | None:
        """The issue's ticket and this photo's thumbnail bytes, when it is stored."""
        with self._uow() as uow:
            photo = uow.session.get(IssuePhoto, photo_id)
            if photo is None or photo.thumb_path is None:
                return None
            issue = uow.session.get(Issue, photo.issue_id)
            ref, ticket = photo.thumb_path, issue.ticket if issue else ""
        return ticket or "", self._store.get(ref)


    def file(self, ref: str) -> bytes:
        """The bytes of a stored photo or thumbnail (the console shows them to people in the ticket's scope)."""
        return self._store.get(ref)
