"""`alleybot nlu eval` and `nlu parse` as DESIGN §5 defines them, and the held-out targets of issue 3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, env={**os.environ, "NLU_BACKEND": "builtin"})


def test_eval_prints_the_contract_and_meets_the_targets_on_the_held_out_set() -> None:
    out = run("nlu", "eval", str(ROOT / "nlu" / "data" / "test.jsonl"), "--json",
              "--min-accuracy", "0.95", "--min-entity-f1", "0.90", "--min-oos-recall", "0.90")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert {"intent_accuracy", "entity_f1", "n", "per_intent", "latency_ms", "misclassified"} <= set(report)
    assert report["n"] >= 250 and report["backends"] == {"builtin": report["n"]}
    assert report["per_intent"]["report_issue"]["recall"] >= 0.95  # out_of_scope must not steal reports
    assert report["latency_ms"]["p50"] > 0  # measured; the speed targets themselves live in docs/nlu.md


def test_eval_fails_below_a_target(tmp_path: Path) -> None:
    hard = tmp_path / "hard.jsonl"
    hard.write_text(json.dumps({"text": "你好", "intent": "report_issue", "entities": {}}, ensure_ascii=False) + "\n")
    out = run("nlu", "eval", str(hard), "--min-accuracy", "0.5")
    assert out.returncode == 1 and "below target" in out.stderr


def test_eval_rejects_a_malformed_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "你好"}\n')
    out = run("nlu", "eval", str(bad))
    assert out.returncode != 0 and "bad.jsonl:1" in out.stderr and "Traceback" not in out.stderr


def test_category_figures_count_a_wrong_guess_apart_from_a_question(tmp_path: Path) -> None:
    """Per category: right, wrong (a wrong deadline) and missing (the report flow asks). A report of a problem
    outside the 十无 list is right when no category is named: the flow asks, and 其他 is on its list."""
    rows = [("光明胡同的路灯不亮了", "facility_damage"),   # right
            ("胡同里有人乱停车", "road_damage"),           # wrong on purpose: the NLU says illegal_parking
            ("我要反映个情况", "sanitation"),              # nothing named: left to ask
            ("半夜有人在胡同里吹唢呐", "other")]            # outside the list: asking is right
    path = tmp_path / "cats.jsonl"
    path.write_text("".join(json.dumps({"text": t, "intent": "report_issue", "entities": {"category": c}},
                                       ensure_ascii=False) + "\n" for t, c in rows))
    report = json.loads(run("nlu", "eval", str(path), "--json").stdout)
    per = report["per_category"]
    assert per["facility_damage"] == {"n": 1, "accuracy": 1.0, "wrong": 0, "missing": 0}
    assert per["road_damage"]["wrong"] == 1 and per["sanitation"]["missing"] == 1
    assert per["other"]["accuracy"] == 1.0
    assert report["category_accuracy"] == 0.5
