"""常用回复: the replies a street office writes once and uses again on tickets, per category and action.

Staff of a street office write and edit their office's templates; its chiefs and staff pick one on a ticket,
where it only fills the form: the words can still be changed before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select

from bot.core.audit import Audit, write_audit
from bot.core.config import AppConfig
from bot.core.db import UnitOfWork
from bot.core.models import ReplyTemplate

TEMPLATE_ACTIONS = ("resolve", "reject", "reopen", "message")  # the forms a template can fill
MAX_TITLE = 32
MAX_BODY = 500


class TemplateError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class TemplateView:
    id: int
    street_office: str
    title: str
    body: str
    category: str | None
    action: str | None


def _view(t: ReplyTemplate) -> TemplateView:
    return TemplateView(t.id, t.street_office, t.title, t.body, t.category, t.action)


class ReplyTemplates:
    def __init__(self, uow: Callable[[], UnitOfWork], config: AppConfig) -> None:
        self._uow = uow
        self._config = config

    def of(self, offices: list[str], category: str | None = None) -> list[TemplateView]:
        """The templates of these street offices; with a category, those for it and those for any category."""
        with self._uow() as uow:
            query = select(ReplyTemplate).where(ReplyTemplate.street_office.in_(offices))
            if category is not None:
                query = query.where(or_(ReplyTemplate.category.is_(None), ReplyTemplate.category == category))
            return [_view(t) for t in uow.session.scalars(query.order_by(ReplyTemplate.title, ReplyTemplate.id))]

    def save(self, office: str, title: str, body: str, category: str | None, action: str | None,
             template_id: int | None = None, audit: Audit | None = None) -> TemplateView:
        """Write a new template, or change one of the same office; every field is checked first."""
        title, body = (title or "").strip(), (body or "").strip()
        if not title or len(title) > MAX_TITLE:
            raise TemplateError("title", f"a title of 1 to {MAX_TITLE} characters")
        if not body or len(body) > MAX_BODY:
            raise TemplateError("body", f"a text of 1 to {MAX_BODY} characters")
        if category is not None and self._config.category(category) is None:
            raise TemplateError("category", f"unknown category {category}")
        if action is not None and action not in TEMPLATE_ACTIONS:
            raise TemplateError("action", f"unknown action {action}")
        with self._uow() as uow:
            s = uow.session
            if template_id is None:
                row = ReplyTemplate(street_office=office)
                s.add(row)
            else:
                found = s.get(ReplyTemplate, template_id)
                if found is None or found.street_office != office:
                    raise TemplateError("not_found", f"no template {template_id} of {office}")
                row = found
            row.title, row.body, row.category, row.action = title, body, category, action
            row.updated_at = datetime.now(UTC)
            s.flush()
            write_audit(s, audit, "template_save", "template", str(row.id), office, title)
            return _view(row)

    def delete(self, office: str, template_id: int, audit: Audit | None = None) -> None:
        with self._uow() as uow:
            row = uow.session.get(ReplyTemplate, template_id)
            if row is None or row.street_office != office:
                raise TemplateError("not_found", f"no template {template_id} of {office}")
            write_audit(uow.session, audit, "template_delete", "template", str(template_id), office, row.title)
            uow.session.delete(row)
