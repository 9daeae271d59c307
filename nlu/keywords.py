"""A small keyword matcher behind the NLU interface: the interim backend until the trained one lands.

It is deliberately literal: a message matches an intent only when it contains one of that intent's cue
words, and anything else is out_of_scope, so the bot falls back politely instead of guessing.
"""

from __future__ import annotations

from nlu.gazetteer import Gazetteer
from nlu.interface import Parse

# Order matters: the first intent whose cue appears wins (more specific intents first).
_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("broadcast_notice", ("发通知", "发公告", "群发")),
    ("query_issue_status", ("我的反映", "进度", "处理得怎么样", "办了没", "工单")),
    ("join_steward", ("当管家", "小巷管家", "当志愿者", "申请管家")),
    ("redeem_points", ("兑换", "换理发券", "换洗澡券")),
    ("query_points", ("积分", "多少分")),
    ("checkin", ("签到", "巡查完毕", "巡完了", "打卡")),
    ("ask_parking", ("停车", "车位", "停车费", "居住证停车", "地锁")),
    ("bind_alley", ("绑定", "我住在", "我家在", "我住")),
    ("report_issue", ("反映", "举报", "投诉", "随手拍", "报修")),
    ("help", ("帮助", "菜单", "怎么用", "功能", "help", "？", "?")),
    ("thanks", ("谢谢", "多谢", "感谢", "辛苦了", "thank")),
    ("greet", ("你好", "您好", "在吗", "早上好", "晚上好", "哈喽", "hello", "hi")),
)
# A sentence with one of these is asking, not complaining ("乱停车罚多少钱" is a parking question).
_QUESTION_MARKERS = ("吗", "怎么", "能不能", "可不可以", "多少", "？", "?", "哪")
_RATINGS = (("不满意", 1), ("太差", 1), ("反对", 1), ("满意", 3), ("赞同", 3), ("一般", 2), ("还行", 2))


class KeywordNLU:
    name = "keyword"

    def __init__(self, gazetteer: Gazetteer) -> None:
        self._gaz = gazetteer

    def parse(self, text: str) -> Parse:
        lowered = text.strip().lower()
        entities: dict[str, object] = {}
        alley = self._gaz.find_alley(lowered)
        if alley:
            entities["alley"] = alley
        category = self._gaz.find_category(lowered)
        if category:
            entities["category"] = category
        if category and not any(q in lowered for q in _QUESTION_MARKERS) and not any(
                cue in lowered for cue in ("签到", "巡查", "发通知")):
            return Parse("report_issue", 0.9, entities, self.name)
        for intent, cues in _CUES:
            if any(cue in lowered for cue in cues):
                return Parse(intent, 1.0, entities, self.name)
        for word, rating in _RATINGS:
            if lowered == word or lowered.rstrip("。！!") == word:
                return Parse("poll_answer", 1.0, {**entities, "rating": rating}, self.name)
        if category:  # "门口堆了一堆建筑垃圾" is a report even without 反映
            return Parse("report_issue", 0.8, entities, self.name)
        return Parse("out_of_scope", 0.0, entities, self.name)
