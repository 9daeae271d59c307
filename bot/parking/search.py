"""Rank parking topics for a free-form question: BM25 over jieba words and character bigrams.

Character bigrams keep typos and unseen word splits from losing a match; words keep the ranking sharp.
The confidence is the share of the question's information (IDF) that the best topic covers, so a question
about something else scores low however the topics rank among themselves.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from bot.parking.knowledge import ParkingKB
from nlu.segmenter import jieba

K1, B = 1.2, 0.75
# Words that say "this is a question" or "parking" in every topic: they would make everything look alike.
STOPWORDS = frozenset("的 了 吗 呢 啊 吧 么 嘛 我 你 我们 他 她 请问 请 问 一下 问一下 麻烦 您好 你好 怎么 怎么办 "
                      "怎样 如何 什么 是 能 能不能 可以 可不可以 要 会 有 没有 在 和 就 都 这 那 哪 哪儿 哪里 "
                      "停车 停 车 个 多少 "
                      # colloquial fillers: they say "may I" or "is it", never which rule
                      "咋 啥 咋办 咋整 行 行不 行吗 不行 行不行 成不成 成不 成吗 合适 得 也 还 呗 哈 呀 "
                      "一会 一会儿 这儿 那儿 咱 咱们 俺 那个 这个 就是 想 让 给".split())


def tokens(text: str) -> list[str]:
    clean = "".join(ch for ch in text.lower() if ch.isalnum())
    words = [w for w in jieba().lcut(clean) if w.strip() and w not in STOPWORDS]
    bigrams = [f"#{clean[i:i + 2]}" for i in range(len(clean) - 1)
               if clean[i:i + 2] not in STOPWORDS and not set(clean[i:i + 2]) <= {"停", "车"}]
    return words + bigrams


@dataclass(frozen=True)
class Ranked:
    topic: str
    score: float
    confidence: float


class ParkingSearch:
    def __init__(self, kb: ParkingKB) -> None:
        # One document per topic: its title, keywords, every way of asking it, and the answer itself.
        self.topic_ids = [t.id for t in kb.topics]
        self.docs = [Counter(tokens(" ".join((t.title, *t.keywords, *t.keywords, *t.questions, t.answer.text))))
                     for t in kb.topics]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg_length = sum(self.lengths) / len(self.lengths)
        n = len(self.docs)
        df = Counter(term for d in self.docs for term in d)
        self.idf = {term: math.log(1 + (n - f + 0.5) / (f + 0.5)) for term, f in df.items()}
        # A query term no topic has counts like the rarest term a topic has, not more: in a colloquial
        # question most such terms are fillers (谁让, 成不成), and weighing them higher drowned the words
        # that do match (地桩谁让装的 能拆吗 fell below the floor).
        self.unseen_idf = max(self.idf.values(), default=1.0)

    def rank(self, question: str) -> list[Ranked]:
        query = tokens(question)
        if not query:
            return []
        information = sum(self.idf.get(t, self.unseen_idf) for t in set(query))
        ranked = []
        for topic_id, doc, length in zip(self.topic_ids, self.docs, self.lengths, strict=True):
            score, covered = 0.0, 0.0
            for term in set(query):
                tf = doc.get(term, 0)
                if not tf:
                    continue
                idf = self.idf[term]
                covered += idf
                score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / self.avg_length))
            ranked.append(Ranked(topic_id, score, covered / information if information else 0.0))
        return sorted(ranked, key=lambda r: (-r.score, r.topic))
