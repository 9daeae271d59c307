"""随手拍 in Chinese: reporting, following up, rating, and the handling of tickets by chiefs and staff.

Residents are often elderly: keep replies short, offer numbered choices, and always say what to do next.
Numbers that come from config are parameters, filled in by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.clock import BEIJING

if TYPE_CHECKING:
    from bot.issues.service import IssueView


def _day(moment: datetime) -> str:
    local = moment.astimezone(BEIJING)
    return f"{local.month}月{local.day}日"

STATUS_NAMES = {
    "received": "待受理", "accepted": "已受理", "in_progress": "处理中", "forwarded": "已转派",
    "resolved": "已办结", "rejected": "已驳回", "duplicate": "已合并", "withdrawn": "已撤回",
}
# What each history event is called on the console's ticket page.
EVENT_NAMES = {
    **STATUS_NAMES, "received": "收到反映", "rated": "居民评价", "reopened": "居民不满意，重新打开",
    "reopened_staff": "重新打开", "escalated": "报街道督办", "reminded": "超期提醒", "followed": "又有居民反映",
    "merged": "合并到其他工单", "message": "回复居民", "assigned": "指派给",
}
PERSON_ROLES = {"chief": "街巷长", "staff": "街道工作人员"}
UNASSIGNED = "未指派"
CHANNELS = {"wechat": "随手拍", "phone": "电话反映", "counter": "窗口登记"}
# Notes written into a ticket's history, which residents and staff read.
REOPENED_NOTE = "居民不满意"
OVERDUE_NOTE = "超期未办结"
# Why a ticket is brought to the street office's attention.
ESCALATED_OVERDUE = "超过承诺时间未办结"
ESCALATED_REOPENED = "居民对处理结果不满意，已重新交办"


REPORT_START = ("请拍张照片，再说说是什么问题、在哪条胡同，比如“光明胡同口有人乱停车”。"
                "照片、文字、位置先发哪个都行。回复“取消”退出。")
REPORT_ASK_ALLEY = "在哪条胡同？请打胡同名字，或者点输入框旁的“+”发送位置。"
REPORT_ALLEY_NOT_FOUND = "没找到这条胡同。"
REPORT_CHOOSE = "请回复列表里的序号。"
REPORT_BLOCKED = "抱歉，您的账号暂时不能提交反映。如有疑问请联系街道。"
def report_photo_full(max_photos: int) -> str:
    return f"这个反映已经有{max_photos}张照片了，这张没有再加。"


def withdraw_none(minutes: int) -> str:
    return f"没有可以撤回的反映。只能撤回{minutes}分钟内发出、还没有受理的反映。"

WITHDRAW_STARTED = "这个反映街巷长已经开始处理了，不能撤回。如有变化请直接说明情况。"
MY_ISSUES_NONE = "您还没有反映过问题。看到胡同里的问题，发张照片说一句就行。"
RATING_THANKS = "谢谢您的评价！"
RATING_REOPENED = "很抱歉没让您满意。这个问题已经重新交办，并报街道督办，有进展会告诉您。"
RATING_NOT_NEEDED = "这个反映已经评价过了，谢谢！"
RATING_WORDS = {3: "满意", 2: "基本满意", 1: "不满意"}


def report_photo_first(count: int) -> str:
    return f"照片收到了{f'（共{count}张）' if count > 1 else ''}。请说说是什么问题、在哪条胡同？"


def report_ask_alley_choices(intro: str, names: Sequence[str]) -> str:
    listed = "\n".join(f"{i}. {n}" for i, n in enumerate(names, 1))
    return f"{intro}是哪条胡同？回复序号：\n{listed}\n不在里面就直接打胡同名字。"


def report_ask_category(names: Sequence[str]) -> str:
    listed = "\n".join(f"{i}. {n}" for i, n in enumerate(names, 1))
    return f"是哪一类问题？回复序号：\n{listed}"


def report_progress_hint(have_photo: bool) -> str:
    return "" if have_photo else "有照片的话可以接着发过来，处理起来更快。"


def report_logged(issue: IssueView, days: int, routed: str = "chief", phone: str = "", attach_minutes: int = 10,
                  ) -> str:
    if routed == "chief":
        who = f"街巷长：{issue.chief}"
    elif routed == "office":
        who = f"受理：{issue.street_office}（街巷长暂未开通线上处理，由街道直接办理）"
    else:
        who = f"受理：{issue.street_office}（线上暂无人接单，急事请打 {phone}）"
    lines = [
        f"收到！您的反映已登记，工单号 {issue.ticket}。",
        f"问题：{issue.category_name}（{issue.triage}类）",
        f"地点：{issue.alley}",
        who,
        f"承诺{days}天内处理（{_day(issue.due_at)}前）。",
        f"{attach_minutes}分钟内可以补发照片或位置；发错了回复“撤回”。回复“我的反映”看进度。",
    ]
    return "\n".join(lines)


def report_followed(issue: IssueView, reporters: int) -> str:
    return (f"这个问题已有{reporters}位居民反映（工单 {issue.ticket}，{issue.alley}·{issue.category_name}，"
            f"{issue.status_name}）。已把您加为关注人，处理进展会同时告诉您。")


def report_again(issue: IssueView) -> str:
    return f"您已经反映过这个问题（工单 {issue.ticket}，{issue.status_name}），补充的内容已记下。"


def report_limited(per_hour: int, phone: str) -> str:
    call = f"急事请打街道电话 {phone}。" if phone else "急事请直接联系街道。"
    return f"您一小时内已经反映了{per_hour}个问题，请稍后再发。{call}"


def photo_attached(ticket: str, count: int) -> str:
    return f"照片已补充到工单 {ticket}（共{count}张）。"


def location_attached(ticket: str) -> str:
    return f"位置已补充到工单 {ticket}。"


def withdrawn(ticket: str) -> str:
    return f"工单 {ticket} 已撤回。"


def my_issues(issues: Sequence[IssueView], own: str) -> str:
    lines = ["您的反映（最近10条）："]
    for issue in issues:
        mark = "" if issue.reporter == own else "（关注）"
        lines.append(f"· {issue.ticket} {issue.alley}·{issue.category_name}：{issue.status_name}{mark}")
    return "\n".join(lines)


def ask_rating(ticket: str) -> str:
    return f"请为工单 {ticket} 的处理打个分：回复 3 满意，2 基本满意，1 不满意。"


# Messages to reporters and followers when their issue changes.
PROGRESS = {
    "accepted": "街巷长已受理",
    "in_progress": "正在处理",
    "forwarded": "已转交{note}处理",
    "resolved": "已办结",
    "rejected": "未予受理",
    "reopened": "已重新交办并报街道督办",
    "reopened_staff": "已重新打开，继续处理",
}


def issue_progress(issue: IssueView, kind: str, note: str | None) -> str:
    what = PROGRESS[kind].format(note=note or "")
    detail = f"\n说明：{note}" if note and kind in ("resolved", "rejected", "reopened_staff") else ""
    return f"您反映的问题（工单 {issue.ticket}，{issue.alley}·{issue.category_name}）{what}。{detail}"


def issue_merged(issue: IssueView, original: str) -> str:
    return (f"您的反映（工单 {issue.ticket}）和工单 {original} 拍的是同一处，已合并，"
            f"您会收到工单 {original} 的处理进展。")


def report_confirm(alley: str, category_name: str) -> str:
    return f"您是要反映{alley}的“{category_name}”问题吗？回复 1 是，2 不是。"


REPORT_NOT_LOGGED = "好的，没有登记。想问别的直接说就行；发“帮助”看看我能做什么。"


def issue_merged_by_handler(issue: IssueView, original: str) -> str:
    return (f"您的反映（工单 {issue.ticket}）和工单 {original} 是同一个问题，已合并办理，"
            f"您会收到工单 {original} 的处理进展。")


def issue_message(issue: IssueView, text: str) -> str:
    return f"关于您反映的问题（工单 {issue.ticket}，{issue.alley}·{issue.category_name}），处理人员回复：\n{text}"


# Messages to chiefs and street staff.
def issue_for_handler(issue: IssueView, days: int, unassigned: bool = False) -> str:
    photos = sum(1 for p in issue.photos if p.kind == "report")
    lines = [
        f"【新反映】工单 {issue.ticket}" + ("（本胡同街巷长未开通，请街道办理）" if unassigned else ""),
        f"{issue.alley} · {issue.category_name}（{issue.triage}类，{days}天内办结，{_day(issue.due_at)}前）",
        f"内容：{issue.text[:300] or '（只有照片）'}",
        f"照片：{photos}张" if photos else "照片：无",
        f"回复“受理 {issue.ticket}”接单；也可以“转派 {issue.ticket} 城管”、“办结 {issue.ticket} 处理说明”、"
        f"“驳回 {issue.ticket} 原因”。回复“待办”看全部。",
    ]
    return "\n".join(lines)


def issue_assigned(issue: IssueView) -> str:
    return (f"【指派】工单 {issue.ticket}（{issue.alley} · {issue.category_name}）已指派给您办理，"
            f"{_day(issue.due_at)}前办结。内容：{issue.text[:200] or '（只有照片）'}\n"
            f"回复“受理 {issue.ticket}”接单，或在工作台查看。")


def issue_withdrawn_for_handler(ticket: str) -> str:
    return f"工单 {ticket} 已被居民撤回，不用处理了。"


def issue_escalated(issue: IssueView, reason: str) -> str:
    return (f"【督办】工单 {issue.ticket}（{issue.alley}·{issue.category_name}）{reason}，"
            f"请跟进。当前状态：{issue.status_name}。")


def issue_overdue(issue: IssueView) -> str:
    return (f"【提醒】工单 {issue.ticket}（{issue.alley}·{issue.category_name}）已超过承诺时间"
            f"（{_day(issue.due_at)}），请尽快办结。")


def issue_rated(issue: IssueView, rating: int) -> str:
    return f"工单 {issue.ticket} 的居民评价：{RATING_WORDS[rating]}。"


HANDLE_NOT_ALLOWED = "只有这条胡同的街巷长或街道工作人员能处理这个工单。"
HANDLE_NONE = "现在没有待办的工单。"
HANDLE_NOTE = "请说明处理结果（比如“车已挪走”），居民会看到。"
HANDLE_REASON = "请说明驳回的原因，居民会看到。"
HANDLE_AFTER_PHOTO = "可以发一张处理后的照片；没有的话回复“跳过”。"
HANDLE_SKIP_WORDS = ("跳过", "没有", "不用了", "无")


def handle_not_found(ticket: str) -> str:
    return f"没有找到工单 {ticket}，请核对工单号。回复“待办”看您的工单。"


def handle_unknown_ticket(ticket: str) -> str:
    return f"没有找到工单 {ticket}。"


def handle_ask_ticket(action: str, issues: Sequence[IssueView]) -> str:
    listed = "\n".join(f"{i}. {x.ticket} {x.alley}·{x.category_name}（{x.status_name}）"
                        for i, x in enumerate(issues, 1))
    return f"{action}哪个工单？回复序号：\n{listed}"


def handle_ask_department(departments: Sequence[str]) -> str:
    listed = "\n".join(f"{i}. {d}" for i, d in enumerate(departments, 1))
    return f"转给哪个部门？回复序号：\n{listed}"


def handle_wrong_status(ticket: str, status_name: str, action: str) -> str:
    return f"工单 {ticket} 现在是“{status_name}”，不能{action}。"


def handle_done(issue: IssueView) -> str:
    extra = f"（{issue.department}）" if issue.status == "forwarded" and issue.department else ""
    return f"工单 {issue.ticket} 已{issue.status_name.removeprefix('已')}{extra}，已通知反映的居民。"


def handle_todo(issues: Sequence[IssueView], unassigned: frozenset[str] = frozenset()) -> str:
    lines = [f"待办工单 {len(issues)} 件："]
    for issue in issues:
        late = ("【超期】" if issue.overdue else "") + ("【无街巷长】" if issue.alley in unassigned else "")
        lines.append(f"· {late}{issue.ticket} {issue.alley}·{issue.category_name}：{issue.status_name}"
                     f"（{_day(issue.due_at)}前）")
    return "\n".join(lines)


# The console's ticket page: its actions, what each did, and why one was refused (field, problem).
DESK_ACTIONS = {
    "accept": "受理", "start": "开始处理", "forward": "转派", "resolve": "办结", "reject": "驳回",
    "reopen": "重新打开", "merge": "合并", "message": "回复居民", "assign": "指派",
    "publish": "公示", "unpublish": "取消公示", "enter": "登记工单", "login": "登录工作台", "logout": "退出工作台",
    "template_save": "保存常用回复", "template_delete": "删除常用回复",
}
DESK_DONE = {
    "accept": "已受理，居民会收到通知。", "start": "已标为处理中，居民会收到通知。",
    "forward": "已转派，居民会收到通知。", "resolve": "已办结，居民会收到通知并被请求评价。",
    "reject": "已驳回，居民会收到说明。", "reopen": "已重新打开，居民会收到通知。",
    "merge": "已合并，居民会收到通知。", "message": "回复已发给居民。",
    "publish": "已放到胡同公示页上。", "unpublish": "已从胡同公示页撤下。",
    "assign": "已指派，对方会在微信里收到通知。",
}
DESK_ERRORS = {
    "note": ("说明", "请填写说明（办结、驳回、重新打开都需要写明情况；回复不能为空，也不能超过 {max_message} 字）。"),
    "department": ("转派部门", "请从列表里选择一个部门。"),
    "upload": ("照片", "上传的文件不是能识别的图片，或超过 {max_photos} 张：{detail}"),
    "status": ("状态", "这个工单现在是“{status}”，不能做这个操作；刷新页面看看最新情况。"),
    "forbidden": ("权限", "您不负责这个工单。"),
    "into_not_found": ("合并到", "没有找到要合并到的工单 {into}，或者它不在您的管辖范围内。"),
    "same": ("合并到", "不能把工单合并到它自己。"),
    "action": ("操作", "没有这个操作。"),
    "assignee": ("指派给", "只能指派给负责这条胡同的街巷长或本街道的工作人员。"),
    "alley": ("胡同", "请从列表里选择胡同。"),
    "category": ("问题类别", "请从列表里选择问题类别。"),
    "channel": ("来源", "请选择电话反映或窗口登记。"),
    "text": ("反映内容", "请写清楚是什么问题（不超过 2000 字）。"),
    "contact": ("联系电话", "居民没有关注公众号时，请留一个联系电话，办结后好回访。"),
    "phone": ("联系电话", "电话号码只能有数字、空格、+ 和 -（5 到 20 位）。"),
    "name": ("居民姓名", "姓名不超过 32 个字。"),
    "resident": ("居民微信", "没有找到这个微信用户：居民需要先关注公众号。"),
}
ENTERED = "已登记为工单 {ticket}，已按规则派给负责人。"
BULK_NOTHING = "请先勾选工单，再选择要做的操作。"
TEMPLATE_SAVED = "常用回复已保存。"
TEMPLATE_DELETED = "常用回复已删除。"
TEMPLATE_ERRORS = {
    "title": "标题写 1 到 32 个字。",
    "body": "内容写 1 到 500 个字。",
    "category": "请从列表里选择问题类别。",
    "action": "请从列表里选择用途。",
    "not_found": "这条常用回复不存在，或不属于您的街道。",
}


def bulk_done(action: str, done: int, refused: list[str]) -> str:
    text = f"{action}：{done} 件已办理。"
    if refused:
        text += f"{len(refused)} 件未能办理：{'、'.join(refused)}。"
    return text
