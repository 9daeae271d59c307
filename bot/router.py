"""The routing order, visible in one list (DESIGN §4.3): cancel and help first, fallback last."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.accounts import texts as account_texts
from bot.handlers import account, broadcast, fallback, handling, parking, poll, report, steward
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


# Multi-step flows by name: a message while a flow is active goes to that flow's continue handler.
FLOWS: dict[str, Handler] = {
    account.BIND_FLOW: account.bind_continue,
    parking.PARKING_FLOW: parking.choose,
    poll.POLL_FLOW: poll.answer,
    poll.CREATE_FLOW: poll.create_continue,
    report.REPORT_FLOW: report.collect,
    handling.HANDLE_FLOW: handling.proceed,
    steward.JOIN_FLOW: steward.join_continue,
    steward.CHECKIN_FLOW: steward.checkin_continue,
    broadcast.BROADCAST_FLOW: broadcast.proceed,
}
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


def _words(turn: Turn) -> str:
    return turn.text.strip().strip("。！!~～ ").lower()


PHONE_QUESTION = re.compile(r"(街道|居委会?|社区|办事处|街巷长|你们).{0,6}(电话|号码|联系方式|怎么联系)")


def said_phone_question(turn: Turn) -> bool:
    """你们街道电话多少: the bot knows the street office's public number."""
    return turn.msg.kind in ("text", "voice") and PHONE_QUESTION.search(turn.text) is not None \
        and len(turn.text) <= 30


def event(*names: str) -> Predicate:
    return lambda t: t.msg.kind == "event" and t.msg.event in names


def menu(*keys: str) -> Predicate:
    return lambda t: t.msg.kind == "event" and t.msg.event == "click" and t.msg.event_key in keys


def said(words: frozenset[str]) -> Predicate:
    return lambda t: t.msg.kind in ("text", "voice") and _words(t) in words


def intent(*names: str) -> Predicate:
    return lambda t: t.msg.kind in ("text", "voice") and bool(t.text) and t.parse().intent in names


def in_flow(t: Turn) -> bool:
    return t.state is not None and t.state.flow in FLOWS


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
})


def leaves_flow(turn: Turn) -> bool:
    """A menu click, an explicit command or a complete new request, rather than an answer to the question."""
    if turn.msg.kind == "event":
        return turn.msg.event == "click"
    if turn.msg.kind not in ("text", "voice") or not turn.text.strip():
        return False
    if any(r.command and r.when(turn) for r in ROUTES):
        return True
    assert turn.state is not None
    if (turn.state.flow, turn.state.step) in FREE_TEXT_STEPS:
        return False
    if turn.state.flow == report.REPORT_FLOW:
        return report.is_another_report(turn)
    return report.is_complete_report(turn) or report.is_two_requests(turn)


def _continue_flow(turn: Turn) -> Reply:
    """Answer the pending question, or leave it (saying so in one line) and take the message afresh."""
    assert turn.state is not None
    if not leaves_flow(turn):
        return FLOWS[turn.state.flow](turn)
    turn.finish()
    after = ROUTES[[r.name for r in ROUTES].index("flow") + 1:]
    handler = next(r.handle for r in after if r.when(turn))
    reply = handler(turn)
    return Reply(f"{account_texts.LEFT_FLOW}\n{reply.text}" if reply.text else account_texts.LEFT_FLOW)


def _always(_: Turn) -> bool:
    return True


ROUTES: list[Route] = [
    Route("unsubscribe", event("unsubscribe"), account.unsubscribed),
    Route("subscribe", event("subscribe"), account.subscribed),
    Route("scan", event("scan"), account.scanned),
    Route("template-finished", event("templatesendjobfinish"), broadcast.template_finished),
    Route("steward-location", steward.is_steward_location, steward.location),
    Route("silent-event", lambda t: t.msg.kind == "event" and t.msg.event in SILENT_EVENTS, fallback.silent),
    Route("cancel", said(CANCEL_WORDS), account.cancel),
    Route("help", any_of(said(HELP_WORDS), menu("HELP")), account.help_menu),
    Route("flow", in_flow, _continue_flow),
    Route("poll-create", said(frozenset({"发调查", "发起调查", "新建调查"})), poll.create_start, command=True),
    Route("follow-alley", said(frozenset({"关注通知", "订阅通知", "接收通知"})), broadcast.follow, command=True),
    Route("broadcast", broadcast.is_command, broadcast.start, command=True),
    # The intent alone only for chiefs and staff: a resident's "明天停水吗" is not a notice to send.
    Route("broadcast-intent", lambda t: t.account.role in ("chief", "staff") and intent("broadcast_notice")(t),
          broadcast.start),
    Route("acknowledge", broadcast.is_ack, broadcast.acknowledge),
    Route("handle", handling.is_command, handling.command, command=True),
    Route("steward-decide", steward.is_decision, steward.decide, command=True),
    Route("patrol-confirm", steward.is_patrol_confirmation, steward.confirm_patrol, command=True),
    Route("quit-steward", said(QUIT_STEWARD_WORDS), steward.withdraw, command=True),
    Route("join-steward", any_of(menu("JOIN_STEWARD"), said(JOIN_WORDS)), steward.join_start, command=True),
    Route("join-steward-intent", intent("join_steward"), steward.join_start),
    Route("leaderboard", said(BOARD_WORDS), steward.leaderboard, command=True),
    Route("patrol-history", said(HISTORY_WORDS), steward.history, command=True),
    Route("checkin", any_of(menu("CHECKIN"), lambda t: t.msg.kind in ("text", "voice")
                            and t.text.strip().startswith(CHECKIN_OPENERS)), steward.checkin_start, command=True),
    Route("checkin-intent", intent("checkin"), steward.checkin_start),
    Route("points", any_of(menu("POINTS"), said(POINTS_WORDS)), steward.my_points, command=True),
    Route("points-intent", intent("query_points"), steward.my_points),
    Route("redeem", lambda t: t.msg.kind == "text" and steward.REDEEM.match(t.text.strip()) is not None,
          steward.redeem, command=True),
    Route("redeem-intent", intent("redeem_points"), steward.redeem),
    Route("todo", handling.is_todo, handling.todo, command=True),
    Route("withdraw", said(WITHDRAW_WORDS), report.withdraw, command=True),
    Route("my-issues", any_of(menu("MY_ISSUES"), said(MY_ISSUES_WORDS)), report.my_issues, command=True),
    Route("my-issues-intent", intent("query_issue_status"), report.my_issues),
    Route("rate-issue", report.is_rating, report.rate),
    Route("report-photo", kind("image"), report.photo),
    Route("report-location", lambda t: t.msg.kind == "location" and report.just_reported(t), report.location),
    Route("two-requests", report.is_two_requests, report.two_requests),
    Route("report", any_of(menu("REPORT"), said(REPORT_WORDS)), report.start, command=True),
    Route("report-intent", intent("report_issue"), report.start),
    Route("bind-alley", any_of(menu("BIND_ALLEY"), said(BIND_WORDS)), account.bind_start, command=True),
    Route("bind-alley-intent", intent("bind_alley"), account.bind_start),
    Route("poll", any_of(menu("POLL"), said(frozenset({"满意度调查", "调查", "参加调查", "问卷"}))), poll.start,
          command=True),
    Route("parking-menu", any_of(menu("PARKING"), said(frozenset({"停车问答", "停车"}))), parking.menu, command=True),
    Route("parking", intent("ask_parking"), parking.ask),
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


# Run after the route, in order, on every handled message: each may add to the reply.
AFTERWORDS: list[Callable[[Turn, Reply], Reply]] = [account.held_notices, poll.invitation]
QUIET_ROUTES = frozenset({"unsubscribe", "silent-event", "unknown-event", "template-finished"})


def route(turn: Turn, routes: list[Route] | None = None) -> tuple[str, Reply]:
    for r in routes if routes is not None else ROUTES:
        if r.when(turn):
            reply = r.handle(turn)
            if r.name not in QUIET_ROUTES:
                for afterword in AFTERWORDS:
                    reply = afterword(turn, reply)
            return r.name, reply
    raise AssertionError("the fallback route always matches")
