"""``alleybot nlu eval``: how a backend does on messages it has never seen.

Entity F1 is micro F1 over (entity, canonical value) pairs, per message (DESIGN §5 and issue 3). Category
accuracy is over the reports that state a problem; one outside the 十无 list (annotated ``other``) is right
when no category is named, since the report flow then asks with a list that ends in 其他.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from nlu.interface import NLU


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON: {exc}") from exc
        if not isinstance(row.get("text"), str) or not isinstance(row.get("intent"), str):
            raise ValueError(f"{path}:{number}: needs \"text\" and \"intent\"")
        rows.append(row)
    return rows


def _pairs(entities: dict[str, Any]) -> set[tuple[str, str]]:
    return {(k, str(v)) for k, v in (entities or {}).items()}


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(nlu: NLU, rows: list[dict[str, Any]]) -> dict[str, Any]:
    latencies: list[float] = []
    tp = Counter[str]()
    fp = Counter[str]()
    fn = Counter[str]()
    ent_tp = ent_fp = ent_fn = 0
    backends = Counter[str]()
    confused = Counter[tuple[str, str]]()
    categories_right = categories_stated = 0
    per_category: dict[str, Counter[str]] = {}
    wrong: list[dict[str, Any]] = []
    entity_errors: list[dict[str, Any]] = []
    for row in rows:
        started = time.perf_counter()
        parsed = nlu.parse(row["text"])
        latencies.append((time.perf_counter() - started) * 1000)
        backends[parsed.backend] += 1
        expected, got = row["intent"], parsed.intent
        if got == expected:
            tp[expected] += 1
        else:
            fp[got] += 1
            fn[expected] += 1
            wrong.append({"text": row["text"], "expected": expected, "predicted": got,
                          "confidence": round(parsed.confidence, 3)})
        if got != expected:
            confused[(f"intent:{expected}", f"intent:{got}")] += 1
        stated = (row.get("entities") or {}).get("category")
        if stated:  # a report that states its problem: is it filed where a chief would file it?
            categories_stated += 1
            said = parsed.entities.get("category")
            if stated == "other" and not said:
                # Outside the 十无 list no word names the category: the report flow asks, and 其他 is on its
                # numbered list. Asking is the right answer; guessing a 十无 item would be wrong.
                said = "other"
            tally = per_category.setdefault(stated, Counter())
            tally["n"] += 1
            tally["missing" if not said else "right" if said == stated else "wrong"] += 1
            if said == stated:
                categories_right += 1
            else:
                confused[(f"category:{stated}", f"category:{said}")] += 1
        want, have = _pairs(row.get("entities") or {}), _pairs(parsed.entities)
        ent_tp += len(want & have)
        ent_fp += len(have - want)
        ent_fn += len(want - have)
        if want != have:
            entity_errors.append({"text": row["text"], "expected": dict(sorted(want)), "predicted": dict(sorted(have))})
    n = len(rows)
    per_intent = {}
    for intent in sorted(set(tp) | set(fn) | set(fp)):
        precision, recall, f1 = _f1(tp[intent], fp[intent], fn[intent])
        per_intent[intent] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                              "support": tp[intent] + fn[intent]}
    q = statistics.quantiles(latencies, n=100) if n >= 2 else [latencies[0]] * 99 if n else [0.0] * 99
    return {
        "n": n,
        "intent_accuracy": round(sum(tp.values()) / n, 4) if n else 0.0,
        "entity_f1": round(_f1(ent_tp, ent_fp, ent_fn)[2], 4),
        "category_accuracy": round(categories_right / categories_stated, 4) if categories_stated else None,
        "out_of_scope_recall": per_intent.get("out_of_scope", {}).get("recall"),
        "report_issue_precision": per_intent.get("report_issue", {}).get("precision"),
        "most_confused": [{"expected": a, "predicted": b, "count": c} for (a, b), c in confused.most_common(15)],
        "per_intent": per_intent,
        # per stated category: how many right, how many wrong (worse: a wrong deadline) and how many left
        # for the report flow to ask (the resident picks from the numbered list)
        "per_category": {code: {"n": t["n"], "accuracy": round(t["right"] / t["n"], 4), "wrong": t["wrong"],
                                "missing": t["missing"]} for code, t in sorted(per_category.items())},
        "latency_ms": {"p50": round(q[49], 3), "p99": round(q[98], 3)},
        "backends": dict(backends),
        "misclassified": wrong,
        "entity_errors": entity_errors,
    }
