"""停车问答 in Chinese: the topic menu, answers and "don't know".

Residents are often elderly: keep replies short, offer numbered choices, and always say what to do next.
Numbers that come from config are parameters, filled in by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.accounts.texts import alley_choices


def parking_menu(titles: Sequence[str]) -> str:
    return "停车问答，回复序号看答案，也可以直接打字问：\n" + alley_choices(titles)


def parking_answer(answer: str, offer_report: bool) -> str:
    if offer_report:
        return answer + "\n\n发现私装地锁，回复“反映地锁”，再发照片和位置。"
    return answer


def parking_unknown(phone: str, office: str | None) -> str:
    # Without a known street office the number is the citizen hotline (12345), not a street office's.
    call = f"{office}的电话" if office else "市民服务热线"
    return (f"这个问题我还答不上来，已经记下转给街道工作人员。着急的话请打{call} {phone}。"
            "\n回复“停车问答”看看常见的停车问题。")


PARKING_CHOOSE = "请回复上面列出的序号，或者直接打字问停车的事。"
