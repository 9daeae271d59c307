"""Choose how much of Rasa's intent probabilities the Rasa backend blends with the built-in model's.

Asks a running Rasa server once per message of every set, then replays its answers at each weight from 0
(built-in alone) to 1 (Rasa alone), so a sweep costs one pass over the sets. The weight is chosen on the
development sets only (the highest mean intent accuracy, then the highest mean out-of-scope recall); the
test set is reported at that weight, never used to choose it.

    RASA_TOKEN=… .venv/bin/alleybot nlu rasa-serve --port 5005 &
    .venv/bin/python benchmarks/nlu_blend.py --rasa-url http://127.0.0.1:5005 --token … [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.config import load_config  # noqa: E402
from nlu import builtin  # noqa: E402
from nlu.builtin import BuiltinNLU, normalise  # noqa: E402
from nlu.evaluation import evaluate, read_jsonl  # noqa: E402
from nlu.interface import Parse  # noqa: E402
from nlu.rasa_client import RasaNLU  # noqa: E402

# Every earlier round's test set is a development set now; the newest is the test set (nlu/heldout/README.md).
DEV = ("nlu/heldout/residents.jsonl", "nlu/heldout/dev_residents.jsonl", "nlu/heldout/residents_b.jsonl",
       "nlu/heldout/residents_c.jsonl", "nlu/heldout/residents_d.jsonl", "nlu/heldout/residents_e.jsonl",
       "nlu/heldout/residents_f.jsonl", "nlu/heldout/residents_g.jsonl", "nlu/data/test.jsonl")
TEST = ("nlu/heldout/residents_h.jsonl",)
FIGURES = ("intent_accuracy", "category_accuracy", "out_of_scope_recall", "report_issue_precision", "entity_f1")


class Replayed(RasaNLU):
    """The Rasa backend answering from Rasa's recorded answers."""

    def __init__(self, answers: dict[str, dict[str, Any]], fallback: BuiltinNLU, weight: float) -> None:
        super().__init__("http://127.0.0.1:9", fallback, weight=weight)
        self.answers = answers

    def parse(self, text: str) -> Parse:
        clean = normalise(text)
        doc = self.answers.get(clean.lstrip("/").strip())
        return self.fallback.parse(text) if doc is None else self._to_parse(clean, doc)


def ask_all(url: str, token: str | None, texts: set[str]) -> dict[str, dict[str, Any]]:
    http = requests.Session()
    answers = {}
    for text in sorted(texts):
        sendable = normalise(text).lstrip("/").strip()
        if sendable:
            res = http.post(f"{url.rstrip('/')}/model/parse", json={"text": sendable},
                            params={"token": token} if token else None, timeout=10)
            res.raise_for_status()
            answers[sendable] = res.json()
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa-url", required=True)
    parser.add_argument("--token")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    config = load_config(ROOT / "config")
    own = builtin.load(config.vocabulary(), ROOT / "nlu" / "data", ROOT / "var" / "nlu")
    sets = {name: read_jsonl(ROOT / name) for name in DEV + TEST}
    answers = ask_all(args.rasa_url, args.token, {row["text"] for rows in sets.values() for row in rows})

    table: dict[float, dict[str, dict[str, Any]]] = {}
    for weight in [w / 10 for w in range(11)]:
        nlu = Replayed(answers, own, weight)
        table[weight] = {name: {k: evaluate(nlu, rows)[k] for k in FIGURES} for name, rows in sets.items()}

    def dev_score(weight: float) -> tuple[float, float, float]:
        rows = table[weight]
        return (statistics.mean(rows[n]["intent_accuracy"] for n in DEV),
                statistics.mean(rows[n]["out_of_scope_recall"] or 0.0 for n in DEV), -weight)

    chosen = max(table, key=dev_score)
    if args.json:
        print(json.dumps({"chosen_weight": chosen, "by_weight": {str(w): r for w, r in table.items()}},
                         ensure_ascii=False))
        return
    for weight, rows in table.items():
        mark = "  ← chosen on the development sets" if weight == chosen else ""
        print(f"weight {weight:.1f}{mark}")
        for name, figures in rows.items():
            print(f"  {name:34s} " + "  ".join(f"{k[:14]}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
