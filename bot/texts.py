"""Every user-facing Chinese string, by name (DESIGN §4.10).

Residents are often elderly: keep replies short, offer numbered choices, and always say what to do next.
"""

from __future__ import annotations

from collections.abc import Sequence

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
APOLOGY = "抱歉，系统刚才出了点问题，您的消息已记录，请稍后再试。"
VOICE_UNHEARD = "没听清您的语音，麻烦再说一遍，或者直接打字告诉我。"
IMAGE_WITHOUT_FLOW = "收到您的照片。“随手拍”反映问题的功能即将开通，开通后直接发照片就能反映。"
OTHER_MEDIA = "收到啦。目前我能看懂文字、语音、照片和位置。\n\n" + MENU
FEATURE_COMING = "“{name}”功能正在建设中，很快开通。现在可以先试试：\n\n" + MENU

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

# Menu keys whose feature lands in a later release, with the name shown to the user.
MENU_FEATURE_NAMES = {
    "REPORT": "随手拍", "CHECKIN": "巡查签到", "POINTS": "我的积分", "JOIN_STEWARD": "申请当管家",
    "MY_ISSUES": "我的反映",
}
INTENT_FEATURE_NAMES = {
    "report_issue": "随手拍", "query_issue_status": "我的反映", "checkin": "巡查签到",
    "query_points": "我的积分", "redeem_points": "积分兑换", "join_steward": "申请当管家",
    "broadcast_notice": "发通知",
}


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
POLL_CREATE_TOO_MANY = "一份调查最多10个问题，回复“完成”继续。"


def poll_create_more(count: int) -> str:
    return f"已记下第{count}个问题。接着发下一个，或者回复“完成”。"


def poll_create_target(alley: str | None, office: str | None) -> str:
    options = [f"1. 只发给{alley}的居民" if alley else None, f"2. 发给{office}的居民" if office else None,
               "3. 发给所有居民"]
    return "发给谁？回复序号：\n" + "\n".join(o for o in options if o)


def poll_create_preview(questions: Sequence[str], audience: str) -> str:
    listed = "\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1))
    return f"调查预览（{audience}）：\n{listed}\n回复“确认”发出，回复“取消”放弃。"


def poll_created(poll_id: int) -> str:
    return f"调查已发出（编号{poll_id}）。48小时内和您联系过的居民会马上收到邀请，其他居民下次发消息时会看到。"
