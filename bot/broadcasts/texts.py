"""发通知 in Chinese: a chief's notice to residents, and residents following an alley's notices.

Residents are often elderly: keep replies short, offer numbered choices, and always say what to do next.
Numbers that come from config are parameters, filled in by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence

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


# The console's 通知 desk: why a notice was refused (field, problem).
DESK_ERRORS = {
    "empty": ("通知内容", "通知内容不能为空。"),
    "too_long": ("通知内容", "通知最多 {max_length} 个字，请删短一些。"),
    "cap": ("发送次数", "今天已经发了 {cap} 条通知，明天再发。"),
    "forbidden": ("发给谁", "街巷长只能发给自己的胡同，街道工作人员只能发给本街道。"),
    "unknown_alley": ("发给谁", "没有这条胡同。"),
    "schedule": ("发送时间", "发送时间不能早于现在，也不能超过 30 天以后。"),
    "busy": ("通知", "这条通知正在发送，请稍等后刷新。"),
}
REPORT_LABELS = {
    "sent": "已送达", "held": "留言待看（48小时外）", "failed": "失败", "unreachable": "已取关或无法送达",
    "pending": "发送中", "uncertain": "结果不明", "acknowledged": "已确认收到",
}
