"""The account's conversation in Chinese: the menu, welcome, help, binding an alley, roles, and the answers
every flow shares (cancelled, expired, not understood).

Residents are often elderly: keep replies short, offer numbered choices, and always say what to do next.
Numbers that come from config are parameters, filled in by the caller.
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
NOT_OURS = ("这件事不归胡同的街巷长管，我这儿办不了：水、电、燃气、暖气请找对应的公司，快递外卖找平台，"
            "别的事可以拨 12345 市民服务热线。\n如果是胡同里公共地方的问题，回复“随手拍”告诉我。")
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




def held_notices(notes: Sequence[str]) -> str:
    if len(notes) == 1:
        return f"您有1条未读消息：\n{notes[0]}"
    return f"您有{len(notes)}条未读消息：\n" + "\n".join(f"{i}. {n}" for i, n in enumerate(notes, 1))


def console_link(url: str, minutes: int) -> str:
    return f"街道工作台登录链接（{minutes}分钟内有效，只能用一次，请勿转发）：\n{url}"


CONSOLE_STAFF_ONLY = "工作台是街巷长和街道工作人员用的。"
CONSOLE_CODE_DONE = "好了，电脑上的工作台已经登录。"
CONSOLE_CODE_WRONG = "验证码不对，或已过期（5分钟有效）。请看电脑屏幕上的6位数字，回复“登录 数字”。"
CONSOLE_CODE_LIMITED = "验证码错误次数太多，请5分钟后再试。"
CONSOLE_TOO_MANY = "操作太频繁了，请过一分钟再试。如果是在等登录，请在微信里发送“工作台”获取登录链接。"
