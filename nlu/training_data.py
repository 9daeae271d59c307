"""Read the Rasa 3.x NLU training data (``nlu/data/*.yml``) that both backends learn from.

Only the parts this project uses are understood: intents with examples, inline entity annotations
(``[text](entity)`` and ``[text]{"entity": …, "value": …}``), synonyms and lookup tables.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    entity: str
    value: str
    text: str


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    spans: tuple[Span, ...] = ()

    @property
    def entities(self) -> dict[str, str]:
        return {s.entity: s.value for s in self.spans}


@dataclass
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # surface form -> canonical value
    lookups: dict[str, list[str]] = field(default_factory=dict)
    fingerprint: str = ""

    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})


def parse_example(line: str, intent: str) -> Example:
    """Strip the annotations from one example line and keep where the entities were."""
    text, spans, cursor = "", [], 0
    for m in _ANNOTATION.finditer(line):
        text += line[cursor:m.start()]
        surface = m.group("text")
        if m.group("short"):
            entity, value = m.group("short"), surface
        else:
            doc = json.loads(m.group("json"))
            entity, value = doc["entity"], str(doc.get("value", surface))
        spans.append(Span(len(text), len(text) + len(surface), entity, value, surface))
        text += surface
        cursor = m.end()
    text += line[cursor:]
    return Example(text, intent, tuple(spans))


def load(directory: Path) -> TrainingData:
    data = TrainingData()
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.yml")):
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw)
        doc = yaml.safe_load(raw) or {}
        for item in doc.get("nlu") or []:
            lines = [ln.strip()[2:].strip() for ln in (item.get("examples") or "").splitlines()
                     if ln.strip().startswith("- ")]
            if "intent" in item:
                data.examples.extend(parse_example(ln, item["intent"]) for ln in lines if ln)
            elif "synonym" in item:
                data.synonyms.update({ln: str(item["synonym"]) for ln in lines})
            elif "lookup" in item:
                data.lookups.setdefault(item["lookup"], []).extend(lines)
    data.fingerprint = digest.hexdigest()
    return data
