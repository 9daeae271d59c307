"""What the bot says to chiefs about their patrol log and their scorecard."""

from __future__ import annotations

from collections.abc import Sequence

from bot.chiefs.patrol_words import Found

CHIEF_ONLY = "街巷长日志是街巷长和街道工作人员用的。"
NO_ALLEY = "您还没有负责的胡同。请街道管理员用“alleybot users grant”设置后再试。"
ASK_WORDS = ("请说说这次巡了多久、看到什么问题，例如：\n“巡了40分钟，门口堆物一处已清，地锁两个”\n"
             "没发现问题就说“一小时，没发现问题”。")
ASK_MINUTES = "请说说巡了多久，比如“40分钟”或“一个半小时”，看到的问题可以一起说。"
ASK_LOCATION = "请发送您现在的位置核实（点“+”→“位置”），或回复“跳过”。"
SKIP_WORDS = frozenset({"跳过", "不发", "不用", "没有"})
NO_WORDS = frozenset({"不用", "不要", "没有", "结束", "好的", "不用了"})
OFFER_AGAIN = "回复编号把问题立为工单（可以一次说几个，如“1 2”），回复“不用”结束。"


def ask_alley(alleys: Sequence[str]) -> str:
    lines = [f"{n}. {a}" for n, a in enumerate(alleys, 1)]
    return "这次巡的是哪条胡同？回复编号：\n" + "\n".join(lines)


def found_line(found: Found, category_name: str) -> str:
    return f"{category_name}{found.count}处" + ("（已当场处理）" if found.fixed else "")


def logged(alley: str, minutes: int, verified: bool, lines: Sequence[str], offer: bool) -> str:
    head = f"已记入街巷长日志：{alley}，{minutes}分钟" + ("（位置已核实）。" if verified else "（未核实位置）。")
    if not lines:
        return head + "\n这次没有发现问题。"
    body = "\n发现：\n" + "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1))
    return head + body + ("\n" + OFFER_AGAIN if offer else "")


def tickets_opened(tickets: Sequence[str]) -> str:
    return "已立为工单：" + "、".join(tickets) + "。进展会照常通知。"


TICKET_TEXT = "街巷长巡街发现：{what}"
NOTHING_TO_OPEN = "这几项都已当场处理，不用立工单。"


def my_log(entries: Sequence[tuple[str, str, int, bool, int]]) -> str:
    """(day, alley, minutes, verified, problems found) of the latest patrols."""
    if not entries:
        return "您还没有巡街记录。巡完发送“巡街”记一笔。"
    lines = [f"{day} {alley} {minutes}分钟{'（已核实）' if verified else ''}"
             + (f"，发现{found}处问题" if found else "，无问题") for day, alley, minutes, verified, found in entries]
    return "最近的巡街记录：\n" + "\n".join(lines)
DONE = "好的，这次巡街记好了。"
SCORE_WORDS = frozenset({"我的考核", "考核", "我的得分", "考核分"})
NO_SCORE = "考核是给街巷长的：您还没有负责的胡同。"
PART_WHY = {
    "知情": "巡街 {patrol_days} 天（应巡 {required} 天）",
    "处置": "到期 {due} 件，按时办结 {on_time} 件，重新打开 {reopened} 件",
    "响应": "收到 {reported} 件，按首次处理用时计",
    "评价": "居民评价 {rated} 次{poll}",
}


def my_score(label: str, alley: str, score: float, grade: str, parts: dict[str, float], why: dict[str, str],
             not_applicable: list[str], overdue: int) -> str:
    lines = [f"{label} {alley} 考核：{score:g} 分（{grade}）"]
    for part, points in parts.items():
        if part == "扣分":
            if points:
                lines.append(f"扣分 {points:g}：月底仍有 {overdue} 件超期")
            continue
        if part in not_applicable:
            lines.append(f"{part}：本期没有可考核的事项，不计入（其余各项按比例折算）")
        else:
            lines.append(f"{part} {points:g} 分：{why[part]}")
    return "\n".join(lines)

# The public page (公示牌): what a 街巷长 answers for, in the words of the 街巷长制.
DUTIES = (
    "知情：每天巡查胡同，掌握“十无”情况和居民诉求；",
    "监督：督促产权单位、商户和有关部门落实各自责任；",
    "处置：接到居民反映后及时受理，简易问题当场解决，其他问题按时转派、跟进办结；",
    "评价：定期向居民报告进展，接受居民评价和监督。",
)


def progress_notice(alley: str, month: str, received: int, resolved: int, on_time: float | None,
                    satisfied: float | None) -> str:
    """定期公开: last month's figures, as residents read them."""
    parts = [f"收到{received}件", f"办结{resolved}件"]
    if on_time is not None:
        parts.append(f"按时率{round(on_time * 100)}%")
    if satisfied is not None:
        parts.append(f"满意率{round(satisfied * 100)}%")
    return (f"{int(month[5:])}月{alley}：" + "，".join(parts) + "。感谢大家监督，发现问题请随手拍。"
            f"（{alley}街巷长定期公开）")
PROGRESS_ON = "已开启：每月1日上午把上月情况发给这条胡同的居民。"
PROGRESS_OFF = "已关闭每月公开。"


def photo_kept(count: int, pending: str) -> str:
    return f"照片收到了（共{count}张），立工单时会附上。\n{pending}"
