"""The parking-rule knowledge base (config/parking.yml): topics, answers, sources, per-street overrides."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.core.config import ConfigError, read_yaml

TOPIC_IDS = (
    "resident_permit", "roadside_fee", "offpeak_sharing", "marked_spaces", "ground_locks", "violation",
    "visitor_parking", "nonmotor", "self_governance", "no_parking_zones",
)
MAX_ANSWER = 200  # characters: one chat bubble on a phone
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Answer:
    text: str
    source: str
    reviewed: date


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    questions: tuple[str, ...]
    answer: Answer
    keywords: tuple[str, ...] = ()
    overrides: dict[str, Answer] = field(default_factory=dict)  # street office -> answer
    offer_report: bool = False

    def answer_for(self, street_office: str | None) -> Answer:
        return self.overrides.get(street_office or "", self.answer)


@dataclass(frozen=True)
class ParkingKB:
    topics: tuple[Topic, ...]
    unknown_phone: str
    not_parking: tuple[str, ...] = ()  # neighbouring subjects the base does not answer (config: not_parking)
    parking_words: tuple[str, ...] = ()  # words that say a question is about parking at all (config: parking_words)

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)


def _answer(path: Path, entry: str, raw: dict[str, Any]) -> Answer:
    # Folded YAML puts a space where a line broke; Chinese text has no spaces to keep.
    text = _WHITESPACE.sub("", str(raw.get("answer") or ""))
    if not text:
        raise ConfigError(path, entry, "缺少 answer")
    filled = text.replace("{office}", "某某街道办事处").replace("{phone}", "010-00000000")
    if len(filled) > MAX_ANSWER:
        raise ConfigError(path, entry, f"answer 填入街道和电话后有 {len(filled)} 字，超过 {MAX_ANSWER} 字")
    source = str(raw.get("source") or "").strip()
    if not source:
        raise ConfigError(path, entry, "缺少 source（法规条文或街道通知）")
    reviewed = raw.get("reviewed")
    if not isinstance(reviewed, date):
        raise ConfigError(path, entry, "reviewed 应为日期，如 2026-11-22")
    return Answer(text, source, reviewed)


def load_parking(path: Path, street_offices: set[str], districts: frozenset[str] = frozenset()) -> ParkingKB:
    """Read and check the knowledge base. A generic answer (the one for every street office without an
    override) may not name a district: what differs by district goes into that district's overrides, so a
    西城区 resident is never quoted 东城区's rules."""
    doc = read_yaml(path)
    topics: list[Topic] = []
    for index, raw in enumerate(doc.get("topics") or []):
        entry = f"topics[{index}] ({raw.get('id')})"
        if raw.get("id") not in TOPIC_IDS:
            raise ConfigError(path, entry, f"未知的话题 id（应为 {', '.join(TOPIC_IDS)} 之一）")
        questions = tuple(str(q).strip() for q in raw.get("questions") or [] if str(q).strip())
        if len(questions) < 3:
            raise ConfigError(path, entry, "questions 至少需要三种问法")
        overrides = {}
        for office, over in (raw.get("overrides") or {}).items():
            if office not in street_offices:
                raise ConfigError(path, f"{entry}.overrides.{office}", "这个街道不在 alleys.yml 的 street_offices 里")
            overrides[office] = _answer(path, f"{entry}.overrides.{office}", over)
        keywords = tuple(str(k).strip() for k in raw.get("keywords") or [] if str(k).strip())
        generic = _answer(path, entry, raw)
        named = sorted(d for d in districts if d in generic.text)
        if named:
            raise ConfigError(path, f"{entry}.answer", f"通用回答写了{'、'.join(named)}的规定：按区不同的内容请写进"
                                                        "该区各街道的 overrides")
        topics.append(Topic(raw["id"], str(raw.get("title") or raw["id"]), questions, generic,
                            keywords, overrides, bool(raw.get("offer_report"))))
    missing = [t for t in TOPIC_IDS if t not in {x.id for x in topics}]
    if missing:
        raise ConfigError(path, "topics", f"缺少话题: {', '.join(missing)}")
    near = _words(path, doc, "not_parking", "[驾照, 年检, 摇号, 进京证]")
    about = _words(path, doc, "parking_words", "[停, 车位, 地锁, 罚单]")
    # A word cannot be both a subject the base answers and one it does not: 扣分 was in both lists, so
    # "违停了扣分吗" needed a near-certain match to be answered although the 违停 topic answers exactly that.
    for topic in topics:
        both = sorted(set(near) & set(topic.keywords))
        if both:
            raise ConfigError(path, "not_parking", f"{'、'.join(both)} 也是话题 {topic.id} 的关键词：只能留在一处")
    return ParkingKB(tuple(topics), str(doc.get("unknown_phone") or "12345"), near, about)


def _words(path: Path, doc: dict[str, Any], key: str, example: str) -> tuple[str, ...]:
    words = doc.get(key) or []
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise ConfigError(path, key, f"应为词语列表，例如 {example}")
    return tuple(w.strip() for w in words)
