"""The held-out sets are never trained on: none of their messages is in the training data or, whole, in the
category lexicon (a lexicon entry copied from a test message would make the test measure nothing)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from bot.core.config import read_config

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT = sorted(p.name for p in (ROOT / "nlu" / "heldout").glob("*.jsonl"))


def _texts(name: str) -> list[str]:
    return [json.loads(line)["text"] for line in (ROOT / "nlu" / "heldout" / name).read_text().splitlines() if line]


def test_no_held_out_message_is_in_the_training_data() -> None:
    lines = (ROOT / "nlu" / "data" / "nlu.yml").read_text(encoding="utf-8").splitlines()
    training = {line.strip()[2:].strip() for line in lines if line.strip().startswith("- ")}
    for name in HELD_OUT:
        leaked = [t for t in _texts(name) if t in training]
        assert leaked == [], (name, leaked)


def test_no_lexicon_entry_is_a_held_out_message_or_most_of_one() -> None:
    config = read_config(ROOT / "config")
    words = {k for c in config.categories for k in c.keywords}
    for text in [t for name in HELD_OUT if name.startswith("residents") for t in _texts(name)]:
        # a keyword may be a word of a message, never half of it
        assert not [w for w in words if w in text and len(w) >= max(6, len(text) // 2)], text


def test_no_parking_question_is_a_question_variant_of_the_knowledge_base() -> None:
    topics = yaml.safe_load((ROOT / "config" / "parking.yml").read_text(encoding="utf-8"))["topics"]
    variants = {q for t in topics for q in t["questions"]}
    for name in [n for n in HELD_OUT if n.startswith("parking")]:
        leaked = [t for t in _texts(name) if t in variants]
        assert leaked == [], (name, leaked)
