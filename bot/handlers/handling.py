"""Chiefs and street staff handle tickets by chat: 受理, 处理中, 转派 (to a department), 办结 (note and an
after-photo), 驳回 (with a reason), and 待办 for their open tickets.

A command may carry everything (``办结 2611220001 车已挪走``) or only the verb; what is missing is asked for,
with numbered choices where there are choices (which ticket, which department).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import ClassVar

from bot.core.dialogue import FlowData
from bot.handlers import answers
from bot.issues import texts
from bot.issues.service import ActionCheck, IssueError, Issues, IssueView
from bot.turn import Reply, Turn

# The handling flow and its states.
HANDLE_FLOW = "handle"
PICK_TICKET = "pick_ticket"  # several open tickets: which one (numbered)
DEPARTMENT = "department"  # 转派: which department (numbered)
NOTE = "note"  # 办结 / 驳回: the note or the reason residents will read
AFTER_PHOTO = "after_photo"  # 办结: a photo of the result, or 跳过

VERBS = {"受理": "accept", "接单": "accept", "处理中": "start", "开始处理": "start", "转派": "forward",
         "转交": "forward", "办结": "resolve", "已办结": "resolve", "驳回": "reject", "不予受理": "reject"}
ACTION_WORDS = {"accept": "受理", "start": "开始处理", "forward": "转派", "resolve": "办结", "reject": "驳回"}
_VERB_PATTERN = "|".join(sorted(VERBS, key=len, reverse=True))  # longest first: 已办结 before 办结
# Any number right after the verb is a ticket number (a short or mistyped one included), never the note's start:
# "办结 1234 已清理" must not resolve the chief's only ticket with the note "1234 已清理".
COMMAND = re.compile(rf"^({_VERB_PATTERN})\s*(?:(\d+)(?=[\s，,：:。]|$))?[\s，,：:]*(.*)$", re.S)
TODO_WORDS = frozenset({"待办", "我的待办", "待办工单", "工单"})


@dataclass
class Handling(FlowData):
    action: str = ""  # accept, start, forward, resolve or reject
    ticket: str | None = None  # once known
    rest: str = ""  # the note, the reason or the department, as given so far
    offered: list[str] = field(default_factory=list)  # the tickets offered by number


def is_command(turn: Turn) -> bool:
    """A handling verb from a chief or staff member (residents who type 受理 get the ordinary answers)."""
    return (turn.account.role in ("chief", "staff") and turn.msg.kind in ("text", "voice")
            and COMMAND.match(turn.text.strip()) is not None)


def is_todo(turn: Turn) -> bool:
    return turn.account.role in ("chief", "staff") and turn.msg.kind == "text" and turn.text.strip() in TODO_WORDS


def _problem(ticket: str, action: str, check: ActionCheck) -> str | None:
    if check.problem == "not_found" or (check.problem and check.issue is None):
        return texts.handle_not_found(ticket)
    if check.problem == "forbidden":
        return texts.HANDLE_NOT_ALLOWED
    if check.problem == "status" and check.issue is not None:
        return texts.handle_wrong_status(ticket, check.issue.status_name, ACTION_WORDS[action])
    return None


class HandlingChat:
    """A chief's or staff member's handling of tickets, answered with the issues service."""

    def __init__(self, issues: Issues) -> None:
        self._issues = issues

    def todo(self, turn: Turn) -> Reply:
        """List the open tickets this chief or staff member handles."""
        issues = self._issues.handling(turn.account.user_id)
        unassigned = frozenset(self._issues.alleys_without_chief()) if turn.account.role == "staff" else frozenset()
        return Reply(texts.handle_todo(issues, unassigned) if issues else texts.HANDLE_NONE)

    def command(self, turn: Turn) -> Reply:
        """Parse the verb, ticket and rest; ask for whatever is missing, else act."""
        match = COMMAND.match(turn.text.strip())
        assert match is not None
        action, ticket, rest = VERBS[match.group(1)], match.group(2), match.group(3).strip()
        turn.start(HANDLE_FLOW, PICK_TICKET, Handling(action, ticket, rest))
        check = self._issues.check_action(turn.account.user_id, ticket, action)
        if ticket is not None and check.problem == "not_found":
            return self._ask_ticket(turn, action, check.open_tickets, texts.handle_unknown_ticket(ticket))
        if ticket is None:
            return self._ask_ticket(turn, action, check.open_tickets)
        return self._next(turn, check)

    def _ask_ticket(self, turn: Turn, action: str, issues: list[IssueView], problem: str | None = None) -> Reply:
        """Offer this person's open tickets as numbered choices (after saying what was wrong, if anything)."""
        if not issues:
            turn.finish()
            return Reply(f"{problem}\n{texts.HANDLE_NONE}" if problem else texts.HANDLE_NONE)
        if len(issues) == 1 and problem is None:
            turn.goto(PICK_TICKET, replace(turn.data(Handling), ticket=issues[0].ticket))
            return self._next(turn, self._issues.check_action(turn.account.user_id, issues[0].ticket, action))
        turn.goto(PICK_TICKET, replace(turn.data(Handling), ticket=None, offered=[i.ticket for i in issues]))
        question = texts.handle_ask_ticket(ACTION_WORDS[action], issues)
        return Reply(f"{problem}\n{question}" if problem else question)

    def proceed(self, turn: Turn) -> Reply:
        """Take the answer to the question asked (by the step's handler), then ask the next one or act."""
        assert turn.state is not None
        return self.STEPS[turn.state.step](self, turn, turn.text.strip().rstrip("。."))

    def picked_ticket(self, turn: Turn, words: str) -> Reply:
        """Take the ticket chosen by number or typed in full; ask again with the list otherwise."""
        data = turn.data(Handling)
        offered = data.offered
        chosen = answers.pick(words, offered) or (words if words in offered else None)
        if chosen is None:
            mine = self._issues.check_action(turn.account.user_id, None, data.action).open_tickets
            return Reply(texts.handle_ask_ticket(ACTION_WORDS[data.action],
                                                 [i for i in mine if i.ticket in offered] or mine))
        turn.goto(PICK_TICKET, replace(data, ticket=chosen))
        return self._next(turn)

    def picked_department(self, turn: Turn, words: str) -> Reply:
        """Take the department to forward to, by number or name."""
        departments = turn.config.issues.departments
        department = answers.pick(words, departments) or (words if words in departments else None)
        if department is None:
            return Reply(texts.handle_ask_department(departments))
        turn.goto(DEPARTMENT, replace(turn.data(Handling), rest=department))
        return self._next(turn)

    def wrote_note(self, turn: Turn, words: str) -> Reply:
        """Take the note (办结) or the reason (驳回) that residents will read."""
        data = turn.data(Handling)
        if turn.msg.kind not in ("text", "voice") or not words:
            return Reply(texts.HANDLE_REASON if data.action == "reject" else texts.HANDLE_NOTE)
        turn.goto(NOTE, replace(data, rest=turn.text.strip()))
        return self._next(turn)

    def sent_after_photo(self, turn: Turn, words: str) -> Reply:
        """Take the photo of the result, or 跳过, and resolve."""
        if turn.msg.kind == "image" and turn.msg.media_id:
            return self._act(turn, after_photo=turn.msg.media_id)
        if words in texts.HANDLE_SKIP_WORDS:
            return self._act(turn)
        return Reply(texts.HANDLE_AFTER_PHOTO)

    def _next(self, turn: Turn, check: ActionCheck | None = None) -> Reply:
        """Say now, before asking for notes, when the ticket is unknown, not theirs or in the wrong state; then ask
        what is missing, or act."""
        assert turn.state is not None
        data = turn.data(Handling)
        action, rest, ticket = data.action, data.rest, str(data.ticket)
        check = check or self._issues.check_action(turn.account.user_id, ticket, action)
        problem = _problem(ticket, action, check)
        if problem is not None:
            turn.finish()
            return Reply(problem)
        if action == "forward" and rest not in turn.config.issues.departments:
            turn.goto(DEPARTMENT, replace(data, rest=""))
            return Reply(texts.handle_ask_department(turn.config.issues.departments))
        if action in ("resolve", "reject") and not rest:
            turn.goto(NOTE)
            return Reply(texts.HANDLE_REASON if action == "reject" else texts.HANDLE_NOTE)
        if action == "resolve" and turn.state.step != AFTER_PHOTO:
            turn.goto(AFTER_PHOTO)
            return Reply(texts.HANDLE_AFTER_PHOTO)
        return self._act(turn)

    def _act(self, turn: Turn, after_photo: str | None = None) -> Reply:
        data = turn.data(Handling)
        action, ticket, rest = data.action, str(data.ticket), data.rest
        turn.finish()
        try:
            issue: IssueView = self._issues.act(
                turn.account.user_id, ticket, action, note=rest if action in ("resolve", "reject") else None,
                department=rest if action == "forward" else None, after_photo=after_photo)
        except IssueError as exc:  # the ticket changed since the question was asked
            if exc.code == "forbidden":
                return Reply(texts.HANDLE_NOT_ALLOWED)
            if exc.code == "status":
                check = self._issues.check_action(turn.account.user_id, ticket, action)
                return Reply(_problem(ticket, action, check) or texts.handle_not_found(ticket))
            return Reply(texts.handle_not_found(ticket))
        return Reply(texts.handle_done(issue))

    # The flow's states and what answers each (DESIGN §4.2): one handler per question asked.
    STEPS: ClassVar[dict[str, Callable[[HandlingChat, Turn, str], Reply]]] = {
        PICK_TICKET: picked_ticket, DEPARTMENT: picked_department, NOTE: wrote_note, AFTER_PHOTO: sent_after_photo,
    }
