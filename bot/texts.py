"""Every user-facing Chinese string, by name (DESIGN §4.10).

Residents are often elderly: keep replies short, offer numbered choices, and always say what to do next.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.clock import BEIJING

if TYPE_CHECKING:
    from bot.issues.service import IssueView


MENU = (
    "您可以这样用我：\n"
    "1. 随手拍：发照片+一句话，反映胡同里的问题\n"
    "2. 停车问答：问停车、车位的规定\n"
    "3. 我的反映：看处理进度\n"
    "4. 小巷管家：签到、查积分\n"
    "5. 绑定胡同：收到您家胡同的通知\n"
    "随时回复“帮助”看这份说明，回复“取消”退出当前操作。"
)

WELCOME = "您好，欢迎关注街巷助手！我帮您把胡同里的事儿说给街巷长听。\n\n" + MENU


def welcome_bound(alley: str, chief: str) -> str:
    return (f"您好，欢迎关注街巷助手！已为您绑定{alley}，街巷长是{chief}。"
            f"以后{alley}的通知会发给您。\n\n" + MENU)


GREET = "您好！有什么可以帮您？回复“帮助”看看我能做什么。"
THANKS = "不客气！胡同是大家的，谢谢您一起出力。"
CANCELLED = "好的，已取消。还有别的事儿随时说。"
NOTHING_TO_CANCEL = "现在没有进行中的操作。回复“帮助”看看我能做什么。"
EXPIRED = "刚才的操作时间太久已自动结束，咱们重新来。"
FALLBACK = "抱歉，这句话我还没听懂。\n\n" + MENU
APOLOGY = "抱歉，系统刚才出了点问题，这条消息没有办成，请过一会儿再发一次。"
VOICE_UNHEARD = "没听清您的语音，麻烦再说一遍，或者直接打字告诉我。"
EVERYONE = "所有居民"
UNKNOWN_OFFICE = "所在街道"  # an asker whose alley is unknown: "{office}" in a parking answer reads as this
LEFT_FLOW = "（刚才那一步先放下了。）"
UNKNOWN_MENU = "这个菜单暂时不能用了，请从下面选：\n\n" + MENU


def street_phones(offices: Sequence[tuple[str, str]]) -> str:
    """The public numbers of street offices: the user's own first, or all when they bound no alley."""
    listed = "\n".join(f"{name}：{phone}" for name, phone in offices)
    return f"街道的服务电话：\n{listed}\n工作时间拨打；急事请拨 12345。"


OTHER_MEDIA = "收到啦。目前我能看懂文字、语音、照片和位置。\n\n" + MENU

ASK_ALLEY = "请问您住在哪条胡同（街巷）？直接回复名称，比如“光明胡同”，也可以发送位置。"
CHOOSE_FROM_LIST = "请回复下面列出的序号，或者直接输入胡同名称："
ALLEY_NOT_FOUND = "没找到这条胡同。请回复下面的序号，或者重新输入名称："


def alley_choices(names: Sequence[str]) -> str:
    return "\n".join(f"{i}. {name}" for i, name in enumerate(names, 1))


def ask_alley_with_choices(intro: str, names: Sequence[str]) -> str:
    return f"{intro}\n{alley_choices(names)}\n（回复“取消”退出）"


def alley_bound(alley: str, chief: str) -> str:
    return f"已为您绑定{alley}（街巷长：{chief}）。以后{alley}的通知会发给您。"


def nearest_alleys(names: Sequence[str]) -> str:
    return "您附近的胡同有：\n" + alley_choices(names) + "\n请回复序号确认。"


def location_seen(alley: str) -> str:
    return f"收到位置，您在{alley}附近。\n\n" + MENU


def role_granted(role_label: str, alley: str | None) -> str:
    where = f"（{alley}）" if alley else ""
    return f"已设置为{role_label}{where}。"


ROLE_LABELS = {"resident": "居民", "steward": "小巷管家", "chief": "街巷长", "staff": "街道工作人员"}



# --- 停车问答 -------------------------------------------------------------------------------------------
def parking_menu(titles: Sequence[str]) -> str:
    return "停车问答，回复序号看答案，也可以直接打字问：\n" + alley_choices(titles)


def parking_answer(answer: str, offer_report: bool) -> str:
    if offer_report:
        return answer + "\n\n发现私装地锁，回复“反映地锁”，再发照片和位置。"
    return answer


def parking_unknown(phone: str, office: str | None) -> str:
    where = office or "所在街道"
    return (f"这个停车问题我还答不上来，已经记下转给街道工作人员。着急的话请打{where}的电话 {phone}。"
            "\n回复“停车问答”看看常见问题。")


PARKING_CHOOSE = "请回复上面列出的序号，或者直接打字问停车的事。"


# --- 满意度调查 -----------------------------------------------------------------------------------------
SCALE_OPTIONS = {
    "satisfaction": "回复 3 满意，2 一般，1 不满意",
    "agreement": "回复 3 赞同，2 一般，1 反对",
}


def poll_question(position: int, total: int, text: str, scale: str) -> str:
    return f"（第{position}题/共{total}题）{text}\n{SCALE_OPTIONS[scale]}"


def poll_invitation(total: int) -> str:
    return f"街道有个{total}道题的小调查，想听听您的意见。回复“满意度调查”参加，一分钟就好。"


POLL_THANKS = "谢谢您参加调查！您的意见会交给街道和街巷长。"
POLL_CHANGED = "谢谢！您之前的回答已经换成这次的。"
POLL_NONE = "现在没有需要您参加的调查。有新调查时会告诉您。"
POLL_RESTART = "这份调查您已经答完了。想改答案的话，下面从第一题重新来，新的回答会替换原来的。"
POLL_CLOSED = "这份调查已经结束了，谢谢您的关心。"
POLL_ASK_AGAIN = "没看懂您的选择。"

POLL_CREATE_STAFF_ONLY = "发起调查需要街巷长或街道工作人员的身份。"
POLL_CREATE_ASK = "请发第1个问题（比如“您对胡同环境满意吗”）。可以发多个，每条一个问题，发完回复“完成”。"
POLL_CREATE_NEED_ONE = "还没有问题。请先发一个问题，或者回复“取消”。"
def poll_create_too_many(most: int) -> str:
    return f"一份调查最多{most}个问题，回复“完成”继续。"



def poll_create_more(count: int) -> str:
    return f"已记下第{count}个问题。接着发下一个，或者回复“完成”。"


def poll_create_target(alley: str | None, office: str | None) -> str:
    options = [f"1. 只发给{alley}的居民" if alley else None, f"2. 发给{office}的居民" if office else None,
               "3. 发给所有居民"]
    return "发给谁？回复序号：\n" + "\n".join(o for o in options if o)


POLL_CREATE_SCALE = "居民用哪种选项回答？回复序号：\n1. 满意 / 一般 / 不满意\n2. 赞同 / 一般 / 反对"
SCALE_NAMES = {"satisfaction": "满意/一般/不满意", "agreement": "赞同/一般/反对"}


def poll_create_preview(questions: Sequence[str], audience: str, scale: str) -> str:
    listed = "\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1))
    return (f"调查预览（{audience}，选项：{SCALE_NAMES.get(scale, scale)}）：\n{listed}\n"
            "回复“确认”发出，回复“取消”放弃。")


def poll_created(poll_id: int) -> str:
    return f"调查已发出（编号{poll_id}）。48小时内和您联系过的居民会马上收到邀请，其他居民下次发消息时会看到。"


# --- 随手拍 ---------------------------------------------------------------------------------------------
def _day(moment: datetime) -> str:
    local = moment.astimezone(BEIJING)
    return f"{local.month}月{local.day}日"


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
}


def issue_progress(issue: IssueView, kind: str, note: str | None) -> str:
    what = PROGRESS[kind].format(note=note or "")
    detail = f"\n说明：{note}" if note and kind in ("resolved", "rejected") else ""
    return f"您反映的问题（工单 {issue.ticket}，{issue.alley}·{issue.category_name}）{what}。{detail}"


def issue_merged(issue: IssueView, original: str) -> str:
    return (f"您的反映（工单 {issue.ticket}）和工单 {original} 拍的是同一处，已合并，"
            f"您会收到工单 {original} 的处理进展。")


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


def held_notices(notes: Sequence[str]) -> str:
    if len(notes) == 1:
        return f"您有1条未读消息：\n{notes[0]}"
    return f"您有{len(notes)}条未读消息：\n" + "\n".join(f"{i}. {n}" for i, n in enumerate(notes, 1))


# --- 小巷管家 -------------------------------------------------------------------------------------------
JOIN_ASK_NAME = "欢迎报名小巷管家！请问怎么称呼您？（比如“张大姐”“李师傅”）回复“取消”退出。"
JOIN_ASK_PHONE = "留个手机号，方便街巷长联系您（不想留就回复“跳过”）。"
JOIN_ASK_ALLEY = "您想认领哪条胡同？请打胡同名字。"
JOIN_BAD_PHONE = "手机号好像不对，请发11位手机号，或者回复“跳过”。"
STEWARD_ONLY = "签到是小巷管家的功能。想当管家，回复“申请当管家”。"
NOT_STEWARD = "您现在不是小巷管家。"
CHECKIN_ASK_DURATION = ("这次巡查了多长时间？回复序号：\n1. 半小时\n2. 1小时\n3. 1.5小时\n4. 2小时\n5. 3小时\n"
                        "也可以直接说“40分钟”。")
DURATION_CHOICES = {"1": 30, "2": 60, "3": 90, "4": 120, "5": 180}
CHECKIN_CONFIRM_WORDS = ("确认", "对", "是", "没错", "提交", "好")
REDEEM_UNKNOWN = "没找到这个兑换项目。"
REDEEM_OUT_OF_STOCK = "这个项目已经兑换完了，请换一个，或者等街道补充。"
DECIDE_USAGE = "回复“同意 申请号”或“拒绝 申请号”。"
DECIDE_NOT_ALLOWED = "只有这条胡同的街巷长或街道工作人员能审核。"
CONFIRM_PATROL_NOT_ALLOWED = "只有这条胡同的街巷长或街道工作人员能确认巡查。"


def join_choices(intro: str, names: Sequence[str]) -> str:
    listed = "\n".join(f"{i}. {n}" for i, n in enumerate(names, 1))
    return f"{intro}回复序号：\n{listed}"


def join_submitted(alley: str) -> str:
    return f"申请已提交：认领{alley}。街巷长审核后会通知您，谢谢您为胡同出力！"


def join_already(alley: str) -> str:
    return f"您已经是{alley}的小巷管家了。"


def join_too_many(limit: int) -> str:
    return f"一位管家最多认领{limit}条胡同，您已经认领满了。"


def claim_for_decider(claim_id: int, name: str, phone: str | None, alley: str) -> str:
    contact = f"（{phone}）" if phone else ""
    return f"【管家申请 {claim_id}】{name}{contact}申请认领{alley}。回复“同意 {claim_id}”或“拒绝 {claim_id}”。"


def claim_approved(alley: str) -> str:
    return (f"恭喜！您已成为{alley}的小巷管家。每次巡查完回复“签到”，说说巡了多久、走访几户、"
            "现场解决了什么，积分按双倍计。")


def claim_declined(alley: str) -> str:
    return f"您认领{alley}的管家申请这次没有通过。有疑问可以联系街巷长。"


def claim_decided(claim_id: int, approved: bool) -> str:
    return f"申请 {claim_id} 已{'同意' if approved else '拒绝'}，已通知申请人。"


def steward_withdrawn(alleys: Sequence[str]) -> str:
    return f"已退出{'、'.join(alleys)}的小巷管家。谢谢您这段时间的付出！积分仍然保留。"


def checkin_ask_alley(names: Sequence[str]) -> str:
    return join_choices("巡查的是哪条胡同？", names)


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return (f"{hours}小时" if hours else "") + (f"{rest}分钟" if rest else "") or "0分钟"


def checkin_summary(alley: str, minutes: int, visits: int, fixes: int, located: bool,
                    earlier_minutes: int | None = None, minimum: int = 0) -> str:
    where = "已核验" if located else "未定位（点“+”发送位置可核验）"
    notes = []
    if earlier_minutes is not None:
        notes.append(f"今天已签到过（{_duration(earlier_minutes)}），确认后以这次为准。")
    if minutes < minimum:
        notes.append(f"不足{minimum}分钟的巡查不计积分。")
    return (f"请核对：\n胡同：{alley}\n时长：{_duration(minutes)}\n走访：{visits}户\n现场解决：{fixes}处\n"
            f"位置：{where}\n" + "".join(f"{n}\n" for n in notes) + "回复“确认”提交；要改就直接说，比如“走访6户”。")


def checkin_saved(points: int, balance: int, verified: bool, amended: bool) -> str:
    head = "今天的巡查记录已更新。" if amended else "签到成功，辛苦了！"
    if not verified and amended:
        return (f"{head}增加的部分需要重新核验：在胡同里点“+”发送位置，或等街巷长确认，核验后补发积分。"
                f"当前积分 {balance}。")
    if not verified:
        return (f"{head}位置还没核验：在胡同里点“+”发送位置即可核验，或等街巷长确认，之后发放积分。"
                f"当前积分 {balance}。")
    # "管家双倍" only on a first check-in, whose points are the doubled hours; an amendment's difference may be
    # a bonus alone, which is not doubled.
    label = "" if amended else "（管家双倍）"
    change = f"积分 +{points}{label}" if points > 0 else ("积分 " + str(points) if points < 0 else "积分不变")
    return f"{head}{change}，当前积分 {balance}。"


def patrol_for_chief(patrol_id: int, name: str, alley: str, minutes: int) -> str:
    return (f"【巡查待确认 {patrol_id}】{name}在{alley}巡查{_duration(minutes)}，未发送位置。"
            f"属实请回复“确认巡查 {patrol_id}”。")


def patrol_located(alley: str, points: int) -> str:
    return f"位置已核验：{alley}的巡查" + (f"积分 +{points}。" if points > 0 else "已确认。")


def patrol_confirmed(patrol_id: int) -> str:
    return f"巡查 {patrol_id} 已确认，积分已发放。"


def points_summary(balance: int, month_minutes: int, month_points: int, rank: int | None, ranked: int) -> str:
    place = f"本月街道排名：第{rank}名（共{ranked}人）" if rank else "本月还没有积分"
    return (f"您的积分：{balance}\n本月巡查 {_duration(month_minutes)}，获得 {month_points} 分\n{place}\n"
            "回复“兑换”看能换什么，回复“排行榜”看金牌管家。")


def catalogue(items: Sequence[tuple[str, int, int]], balance: int) -> str:
    lines = [f"您有 {balance} 积分，可以兑换："]
    lines += [f"· {name}：{cost}分（剩{stock}份）" for name, cost, stock in items]
    lines.append("回复“兑换 理发券”这样的话就行。")
    return "\n".join(lines)


def redeemed(name: str, cost: int, balance: int, redemption_id: int) -> str:
    return (f"已为您预留 {name}（兑换号 {redemption_id}），扣 {cost} 积分，剩 {balance} 积分。"
            "请到社区领取，工作人员核对后发放。")


def redeem_short(balance: int, cost: int) -> str:
    return f"积分不够：需要 {cost} 分，您有 {balance} 分。再巡查几次就够了！"


def leaderboard(rows: Sequence[dict[str, object]], period: str) -> str:
    if not rows:
        return f"{period} 还没有管家积分。"
    lines = [f"{period} 小巷管家积分榜："]
    lines += [f"{r['rank']}. {r['name']}（{r['alley']}）{r['points']}分，{r['hours']}小时" for r in rows]
    return "\n".join(lines)


def patrol_history(rows: Sequence[tuple[str, str, int, int, int, str | None, int]]) -> str:
    if not rows:
        return "还没有巡查记录。巡查完回复“签到”就会记下来。"
    lines = ["最近的巡查记录："]
    for day, alley, minutes, visits, fixes, verified, points in rows:
        mark = "" if verified else "（待核验）"
        lines.append(f"· {day} {alley} {_duration(minutes)} 走访{visits}户 解决{fixes}处 {points}分{mark}")
    return "\n".join(lines)


# --- 发通知 ---------------------------------------------------------------------------------------------
BROADCAST_STAFF_ONLY = "发通知需要街巷长或街道工作人员的身份。"
BROADCAST_ASK_TEXT = "请发通知内容，比如“光明胡同：明天9点到12点停水”。回复“取消”退出。"
BROADCAST_CANCELLED = "通知没有发出。"
BROADCAST_ACK = "好的，已告诉街道您收到了。"
BROADCAST_PROBLEMS = {
    "forbidden": "街巷长只能给自己的胡同发通知，街道工作人员只能发给本街道。",
    "empty": "通知内容是空的。",
    "unknown_alley": "没找到这条胡同。",
}


def broadcast_too_long(limit: int) -> str:
    return f"通知太长了，请控制在{limit}字以内。"


def broadcast_preview(label: str, text: str, count: int) -> str:
    return f"通知预览（发给{label}，共{count}人）：\n{text}\n回复“确认”发出，回复“取消”放弃。"


def broadcast_cap(cap: int, office: str, phone: str) -> str:
    return f"今天发的通知已经到上限（{cap}条）了，明天再发；急事请联系{office}（{phone}）。"


def broadcast_sent(broadcast_id: int, count: int) -> str:
    return f"通知已开始发送（编号{broadcast_id}，{count}人）。48小时内联系过的居民马上收到，其他人下次发消息时看到。"


def broadcast_message(alleys: Sequence[str], office: str | None, text: str) -> str:
    label = office or "、".join(alleys) or "街道"
    return f"【{label}通知】{text}\n（看到请回复“收到”）"

FOLLOW_NONE = "您还没有反映过问题。想收到自家胡同的通知，回复“绑定胡同”。"


def offer_follow(alley: str) -> str:
    return f"想收到{alley}的通知（停水、清扫、议事会），回复“关注通知”。"


def followed_alley(alley: str) -> str:
    return f"好的，{alley}以后的通知会发给您。"
