"""满意度调查 in Chinese: questions, invitations, and a chief creating a poll.

Residents are often elderly: keep replies short, offer numbered choices, and always say what to do next.
Numbers that come from config are parameters, filled in by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence

SCALE_OPTIONS = {
    "satisfaction": "回复 3 满意，2 一般，1 不满意",
    "agreement": "回复 3 赞同，2 一般，1 反对",
}


def poll_question(position: int, total: int, text: str, scale: str) -> str:
    return f"（第{position}题/共{total}题）{text}\n{SCALE_OPTIONS[scale]}"


def poll_invitation(total: int) -> str:
    return f"街道有个{total}道题的小调查，想听听您的意见。回复“满意度调查”参加，一分钟就好。"


NO_ALLEY = "（未绑定胡同）"  # results of residents who never said where they live
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
DESK_CREATED = "调查已发布，会推送给调查对象（48小时内和公众号说过话的居民），其他居民下次发消息时会收到邀请。"
DESK_CLOSED = "调查已结束，不再接受回答。"
