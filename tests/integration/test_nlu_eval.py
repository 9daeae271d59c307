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
