"""The routing order, visible in one list (DESIGN §4.3): cancel and help first, fallback last."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
WITHDRAW_WORDS = frozenset({"撤回", "撤销", "撤回反映", "撤回工单"})


def _words(turn: Turn) -> str:
    return turn.text.strip().strip("。！!~～ ").lower()


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


def _continue_flow(turn: Turn) -> Reply:
    assert turn.state is not None
    return FLOWS[turn.state.flow](turn)


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
    Route("poll-create", said(frozenset({"发调查", "发起调查", "新建调查"})), poll.create_start),
    Route("follow-alley", said(frozenset({"关注通知", "订阅通知", "接收通知"})), broadcast.follow),
    # The intent alone only for chiefs and staff: a resident's "明天停水吗" is not a notice to send.
    Route("broadcast", any_of(broadcast.is_command, lambda t: t.account.role in ("chief", "staff")
                              and intent("broadcast_notice")(t)), broadcast.start),
    Route("acknowledge", broadcast.is_ack, broadcast.acknowledge),
    Route("handle", handling.is_command, handling.command),
    Route("steward-decide", steward.is_decision, steward.decide),
    Route("patrol-confirm", steward.is_patrol_confirmation, steward.confirm_patrol),
    Route("quit-steward", said(QUIT_STEWARD_WORDS), steward.withdraw),
    Route("join-steward", any_of(menu("JOIN_STEWARD"), said(JOIN_WORDS), intent("join_steward")), steward.join_start),
    Route("leaderboard", said(BOARD_WORDS), steward.leaderboard),
    Route("patrol-history", said(HISTORY_WORDS), steward.history),
    Route("checkin", any_of(menu("CHECKIN"), lambda t: t.msg.kind in ("text", "voice")
                            and t.text.strip().startswith(CHECKIN_OPENERS), intent("checkin")), steward.checkin_start),
    Route("points", any_of(menu("POINTS"), said(POINTS_WORDS), intent("query_points")), steward.my_points),
    Route("redeem", any_of(lambda t: t.msg.kind == "text" and steward.REDEEM.match(t.text.strip()) is not None,
                           intent("redeem_points")), steward.redeem),

    Route("todo", handling.is_todo, handling.todo),
    Route("withdraw", said(WITHDRAW_WORDS), report.withdraw),
    Route("my-issues", any_of(menu("MY_ISSUES"), said(MY_ISSUES_WORDS), intent("query_issue_status")),
          report.my_issues),
    Route("rate-issue", report.is_rating, report.rate),
    Route("report-photo", kind("image"), report.photo),
    Route("report-location", lambda t: t.msg.kind == "location" and report.just_reported(t), report.location),
    Route("report", any_of(menu("REPORT"), said(REPORT_WORDS), intent("report_issue")), report.start),
    Route("bind-alley", any_of(menu("BIND_ALLEY"), intent("bind_alley")), account.bind_start),
    Route("poll", any_of(menu("POLL"), said(frozenset({"满意度调查", "调查", "参加调查", "问卷"}))), poll.start),
    Route("parking-menu", any_of(menu("PARKING"), said(frozenset({"停车问答", "停车"}))), parking.menu),
    Route("parking", intent("ask_parking"), parking.ask),
    Route("help-intent", intent("help"), account.help_menu),
    Route("greet", intent("greet"), account.greet),
    Route("thanks", intent("thanks"), account.thanks),
    Route("location", kind("location"), account.location),
    Route("media", lambda t: t.msg.kind in ("video", "shortvideo", "link", "file")
          or (t.msg.kind == "voice" and not t.text), fallback.media),
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
