"""小巷管家 in Chinese: joining, check-ins, points, rewards and the leaderboard.

Residents are often elderly: keep replies short, offer numbered choices, and always say what to do next.
Numbers that come from config are parameters, filled in by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence

STEWARD_NAME = "管家"  # a steward who gave no name
# Ledger memos, which a steward reads in their points history.
FULFIL_MEMO = "兑付"
REFUND_MEMO = "取消兑换，积分退回"


def patrol_memo(day: str, alley: str, minutes: int) -> str:
    return f"{day} {alley} 巡查 {minutes}分钟"


def redeem_memo(item: str) -> str:
    return f"兑换 {item}"


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

# The console's 管家 desk.
DESK_APPROVED = "已批准，申请人会在微信里收到通知。"
DESK_DECLINED = "已婉拒，申请人会在微信里收到通知。"
DESK_CONFIRMED = "已确认这次巡查，积分已发放。"
DESK_GIVEN = "已兑换发放。"
DESK_CANCELLED = "已取消兑换，积分已退回。"
DESK_ALREADY = "这一项已经处理过了，页面已刷新。"
