"""The routing order, visible in one list (DESIGN §4.3): cancel and help first, fallback last."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.accounts import texts as account_texts
from bot.chiefs import texts as chief_texts
from bot.handlers import account, broadcast, chief, console, fallback, handling, parking, poll, report, steward
from bot.handlers.account import AccountChat
from bot.handlers.broadcast import BroadcastChat
from bot.handlers.chief import ChiefChat
from bot.handlers.console import ConsoleChat
from bot.handlers.handling import HandlingChat
from bot.handlers.parking import ParkingChat
from bot.handlers.poll import PollChat
from bot.handlers.report import ReportChat
from bot.handlers.steward import StewardChat
from bot.runtime import Runtime
from bot.turn import Reply, Turn

Predicate = Callable[[Turn], bool]
Handler = Callable[[Turn], Reply]

CANCEL_WORDS = frozenset({"取消", "退出", "不弄了", "算了", "cancel"})
HELP_WORDS = frozenset({"帮助", "菜单", "help", "?", "？", "怎么用"})
# Events that need no reply: menu links, periodic location reports, delivery reports, …
SILENT_EVENTS = frozenset({"view", "location", "templatesendjobfinish", "masssendjobfinish", "view_miniprogram"})


@dataclass(frozen=True)
class Route:
    name: str
    when: Predicate
    handle: Handler
    # An explicit command (a menu click or fixed words, never a guess of the NLU): said in the middle of a
    # flow, it leaves the pending question instead of being taken as its answer.
    command: bool = False


JOIN_WORDS = frozenset({"申请当管家", "我想当小巷管家", "报名管家", "当管家", "申请小巷管家", "我要当管家"})
QUIT_STEWARD_WORDS = frozenset({"退出管家", "不当管家了", "退出小巷管家"})
POINTS_WORDS = frozenset({"我的积分", "积分", "查积分", "积分余额"})
BOARD_WORDS = frozenset({"排行榜", "积分榜", "金牌管家", "年度排行", "年度排行榜", "全年排行"})
HISTORY_WORDS = frozenset({"巡查记录", "我的巡查", "巡查历史"})
CHECKIN_OPENERS = ("签到", "巡查完毕", "巡完了", "巡查结束", "巡查签到")
REPORT_WORDS = frozenset({"随手拍", "我要反映", "反映问题", "我要随手拍", "我要举报", "报问题"})
MY_ISSUES_WORDS = frozenset({"我的反映", "查进度", "我的工单", "反映进度", "查询进度"})
BIND_WORDS = frozenset({"绑定胡同", "绑定", "换胡同", "改胡同", "我住哪条胡同", "修改胡同"})
WITHDRAW_WORDS = frozenset({"撤回", "撤销", "撤回反映", "撤回工单"})
POLL_CREATE_WORDS = frozenset({"发调查", "发起调查", "新建调查"})
FOLLOW_WORDS = frozenset({"关注通知", "订阅通知", "接收通知"})
POLL_WORDS = frozenset({"满意度调查", "调查", "参加调查", "问卷"})
PARKING_WORDS = frozenset({"停车问答", "停车"})


PHONE_QUESTION = re.compile(r"(街道|居委会?|社区|办事处|街巷长|你们).{0,6}(电话|号码|联系方式|怎么联系)")


def said_phone_question(turn: Turn) -> bool:
    """你们街道电话多少: the bot knows the street office's public number."""
    return turn.msg.kind in ("text", "voice") and PHONE_QUESTION.search(turn.text) is not None \
        and len(turn.text) <= 30


def said_checkin(turn: Turn) -> bool:
    """签到 … / 巡查完毕 …: a check-in opened by its words, with or without the figures after them."""
    return turn.msg.kind in ("text", "voice") and turn.text.strip().startswith(CHECKIN_OPENERS)


def event(*names: str) -> Predicate:
    return lambda t: t.msg.kind == "event" and t.msg.event in names


def menu(*keys: str) -> Predicate:
    return lambda t: t.msg.kind == "event" and t.msg.event == "click" and t.msg.event_key in keys


def said(words: frozenset[str]) -> Predicate:
    return lambda t: t.msg.kind in ("text", "voice") and t.words in words


def intent(*names: str) -> Predicate:
    return lambda t: t.msg.kind in ("text", "voice") and bool(t.text) and t.parse().intent in names


def any_of(*predicates: Predicate) -> Predicate:
    return lambda t: any(p(t) for p in predicates)


def kind(*kinds: str) -> Predicate:
    return lambda t: t.msg.kind in kinds


# Steps whose answer is free text (a name, a note, a notice, a question): there only a menu click or an
# explicit command leaves the flow, never what the NLU guesses a sentence means.
FREE_TEXT_STEPS = frozenset({
    (broadcast.BROADCAST_FLOW, broadcast.TEXT), (handling.HANDLE_FLOW, handling.NOTE),
    (poll.CREATE_FLOW, poll.QUESTIONS), (steward.JOIN_FLOW, steward.NAME),
    (steward.CHECKIN_FLOW, steward.CONFIRM), (steward.CHECKIN_FLOW, steward.DURATION),
    (chief.PATROL_FLOW, chief.WORDS),
})


def _always(_: Turn) -> bool:
    return True


@dataclass(frozen=True)
class Chats:
    """Each feature's chat handlers, built with the services of that feature and no others."""

    account: AccountChat
    broadcast: BroadcastChat
    chief: ChiefChat
    console: ConsoleChat
    handling: HandlingChat
    parking: ParkingChat
    poll: PollChat
    report: ReportChat
    steward: StewardChat

    @classmethod
    def of(cls, rt: Runtime) -> Chats:
        reporting = ReportChat(issues=rt.issues, parking=rt.parking)

        def ordinary_location(turn: Turn) -> Reply:
            """A location for the report just made, else the nearest alleys."""
            return reporting.location(turn) if reporting.just_reported(turn) else account.location(turn)

        return cls(
            account=AccountChat(accounts=rt.accounts, notices=rt.notices),
            broadcast=BroadcastChat(broadcasts=rt.broadcasts),
            chief=ChiefChat(log=rt.chief_log, issues=rt.issues, assessment=rt.assessment),
            console=ConsoleChat(logins=rt.console_logins),
            handling=HandlingChat(issues=rt.issues),
            parking=ParkingChat(parking=rt.parking),
            poll=PollChat(polls=rt.polls),
            report=reporting,
            steward=StewardChat(stewards=rt.stewards, patrols=rt.patrols, rewards=rt.rewards,
                                other_location=ordinary_location),
        )


QUIET_ROUTES = frozenset({"unsubscribe", "silent-event", "unknown-event", "template-finished"})


class Router:
    """The routes in order, the flows by name, and what runs after every handled message."""

    def __init__(self, chats: Chats, routes: list[Route] | None = None) -> None:
        self._report = chats.report
        self._parking = chats.parking
        # Multi-step flows by name: a message while a flow is active goes to that flow's continue handler.
        self.flows: dict[str, Handler] = {
            account.BIND_FLOW: chats.account.bind_continue,
            parking.PARKING_FLOW: chats.parking.choose,
            poll.POLL_FLOW: chats.poll.answer,
            poll.CREATE_FLOW: chats.poll.create_continue,
            report.REPORT_FLOW: chats.report.collect,
            handling.HANDLE_FLOW: chats.handling.proceed,
            steward.JOIN_FLOW: chats.steward.join_continue,
            steward.CHECKIN_FLOW: chats.steward.checkin_continue,
            chief.PATROL_FLOW: chats.chief.patrol_continue,
            broadcast.BROADCAST_FLOW: chats.broadcast.proceed,
        }
        self.routes = routes if routes is not None else self._table(chats)
        # Run after the route, in order, on every handled message: each may add to the reply.
        self.afterwords: list[Callable[[Turn, Reply], Reply]] = [chats.account.held_notices, chats.poll.invitation]

    def in_flow(self, t: Turn) -> bool:
        return t.state is not None and t.state.flow in self.flows

    def leaves_flow(self, turn: Turn) -> bool:
        """A menu click, an explicit command or a complete new request, rather than an answer to the question."""
        if turn.msg.kind == "event":
            return turn.msg.event == "click"
        if turn.msg.kind not in ("text", "voice") or not turn.text.strip():
            return False
        if any(r.command and r.when(turn) for r in self.routes):
            return True
        assert turn.state is not None
        if (turn.state.flow, turn.state.step) in FREE_TEXT_STEPS:
            return False
        if turn.state.flow == report.REPORT_FLOW:
            return report.is_another_report(turn)
        if turn.state.flow == parking.PARKING_FLOW:
            # Free text there is a question. A report the knowledge base has no answer for is not one (a question
            # about a problem, 门口装了地锁合法吗, still gets its answer, which offers to take the report).
            return (report.names_a_problem(turn) and not self._parking.answers(turn)) or report.is_two_requests(turn)
        return report.is_complete_report(turn) or report.is_two_requests(turn)

    def continue_flow(self, turn: Turn) -> Reply:
        """Answer the pending question, or leave it (saying so in one line) and take the message afresh."""
        assert turn.state is not None
        if not self.leaves_flow(turn):
            return self.flows[turn.state.flow](turn)
        turn.finish()
        after = self.routes[[r.name for r in self.routes].index("flow") + 1:]
        handler = next(r.handle for r in after if r.when(turn))
        reply = handler(turn)
        return Reply(f"{account_texts.LEFT_FLOW}\n{reply.text}" if reply.text else account_texts.LEFT_FLOW)

    def route(self, turn: Turn) -> tuple[str, Reply]:
        for r in self.routes:
            if r.when(turn):
                reply = r.handle(turn)
                if r.name not in QUIET_ROUTES:
                    for afterword in self.afterwords:
                        reply = afterword(turn, reply)
                return r.name, reply
        raise AssertionError("the fallback route always matches")

    def _table(self, c: Chats) -> list[Route]:
        """The routing order (DESIGN §4.3): cancel and help first, fallback last."""
        return [
            Route("unsubscribe", event("unsubscribe"), c.account.unsubscribed),
            Route("subscribe", event("subscribe"), c.account.subscribed),
            Route("scan", event("scan"), c.account.scanned),
            Route("template-finished", event("templatesendjobfinish"), c.broadcast.template_finished),
            Route("steward-location", steward.is_steward_location, c.steward.location),
            Route("silent-event", lambda t: t.msg.kind == "event" and t.msg.event in SILENT_EVENTS, fallback.silent),
            Route("cancel", said(CANCEL_WORDS), account.cancel),
            Route("help", any_of(said(HELP_WORDS), menu("HELP")), account.help_menu),
            Route("flow", self.in_flow, self.continue_flow),
            Route("poll-create", said(POLL_CREATE_WORDS), poll.create_start, command=True),
            Route("follow-alley", said(FOLLOW_WORDS), c.broadcast.follow, command=True),
            Route("broadcast", broadcast.is_command, c.broadcast.start, command=True),
            # The intent alone only for chiefs and staff: a resident's "明天停水吗" is not a notice to send.
            Route("broadcast-intent", lambda t: t.account.role in ("chief", "staff") and intent("broadcast_notice")(t),
                  c.broadcast.start),
            Route("acknowledge", c.broadcast.is_ack, c.broadcast.acknowledge),
            Route("handle", handling.is_command, c.handling.command, command=True),
            Route("console-link", any_of(menu("CONSOLE"), said(console.WORDS)), c.console.link, command=True),
            Route("console-code", console.is_code, c.console.confirm_code, command=True),
            Route("steward-decide", steward.is_decision, c.steward.decide, command=True),
            Route("patrol-confirm", steward.is_patrol_confirmation, c.steward.confirm_patrol, command=True),
            Route("quit-steward", said(QUIT_STEWARD_WORDS), c.steward.withdraw, command=True),
            Route("join-steward", any_of(menu("JOIN_STEWARD"), said(JOIN_WORDS)), steward.join_start, command=True),
            Route("join-steward-intent", intent("join_steward"), steward.join_start),
            Route("leaderboard", said(BOARD_WORDS), c.steward.leaderboard, command=True),
            Route("patrol-history", said(HISTORY_WORDS), c.steward.history, command=True),
            Route("chief-patrol", any_of(menu("PATROL_LOG"), chief.said_patrol), c.chief.patrol_start, command=True),
            Route("chief-log", said(chief.LOG_WORDS), c.chief.my_log, command=True),
            Route("chief-score", said(chief_texts.SCORE_WORDS), c.chief.my_score, command=True),
            Route("checkin", any_of(menu("CHECKIN"), said_checkin), c.steward.checkin_start, command=True),
            Route("checkin-intent", intent("checkin"), c.steward.checkin_start),
            Route("points", any_of(menu("POINTS"), said(POINTS_WORDS)), c.steward.my_points, command=True),
            Route("points-intent", intent("query_points"), c.steward.my_points),
            Route("redeem", lambda t: t.msg.kind == "text" and steward.REDEEM.match(t.text.strip()) is not None,
                  c.steward.redeem, command=True),
            Route("redeem-intent", intent("redeem_points"), c.steward.redeem),
            Route("todo", handling.is_todo, c.handling.todo, command=True),
            Route("withdraw", said(WITHDRAW_WORDS), c.report.withdraw, command=True),
            Route("my-issues", any_of(menu("MY_ISSUES"), said(MY_ISSUES_WORDS)), c.report.my_issues, command=True),
            Route("my-issues-intent", intent("query_issue_status"), c.report.my_issues),
            Route("rate-issue", c.report.is_rating, c.report.rate),
            Route("report-photo", kind("image"), c.report.photo),
            Route("report-location", lambda t: t.msg.kind == "location" and c.report.just_reported(t),
                  c.report.location),
            Route("two-requests", report.is_two_requests, c.report.two_requests),
            Route("report", any_of(menu("REPORT"), said(REPORT_WORDS)), c.report.start, command=True),
            Route("report-intent", intent("report_issue"), c.report.start_guessed),
            Route("bind-alley", any_of(menu("BIND_ALLEY"), said(BIND_WORDS)), c.account.bind_start, command=True),
            Route("bind-alley-intent", intent("bind_alley"), c.account.bind_start),
            Route("poll", any_of(menu("POLL"), said(POLL_WORDS)), c.poll.start,
                  command=True),
            Route("parking-menu", any_of(menu("PARKING"), said(PARKING_WORDS)), c.parking.menu,
                  command=True),
            Route("parking", intent("ask_parking"), c.parking.ask),
            Route("street-phone", said_phone_question, account.street_phone),
            Route("help-intent", intent("help"), account.help_menu),
            Route("greet", intent("greet"), account.greet),
            Route("thanks", intent("thanks"), account.thanks),
            Route("location", kind("location"), account.location),
            Route("media", lambda t: t.msg.kind in ("video", "shortvideo", "link", "file")
                  or (t.msg.kind == "voice" and not t.text), fallback.media),
            Route("unknown-menu", event("click"), fallback.unknown_menu),
            Route("unknown-event", kind("event"), fallback.silent),
            Route("fallback", _always, fallback.fallback),
        ]
