"""Parking-rule answers: ask, evaluate, the questions it could not answer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot.cli.base import cli, emit, runtime


@cli.group()
def parking() -> None:
    """Parking-rule answers (config/parking.yml)."""


@parking.command("ask")
@click.argument("text")
@click.option("--alley", default=None, help="Answer for this alley's street office.")
@click.option("--json", "as_json", is_flag=True)
def parking_ask(text: str, alley: str | None, as_json: bool) -> None:
    """Answer TEXT; topic is null when the knowledge base does not know."""
    rt = runtime()
    reply = rt.parking.ask(text, rt.gazetteer.alley_in(alley) if alley else None, record_gap=False)
    doc = {"topic": reply.topic, "answer": reply.answer, "confidence": round(reply.confidence, 4)}
    emit(doc) if as_json else click.echo(f"[{reply.topic}] {reply.answer or '（不知道）'}")


@parking.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.option("--min-accuracy", type=float, default=None, help="Exit 1 when top-1 accuracy is lower.")
def parking_eval(file: Path, as_json: bool, min_accuracy: float | None) -> None:
    """Top-1 accuracy on FILE (JSONL of {"text", "topic"}; topic null = should not know)."""
    rt = runtime()
    rows = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    wrong = []
    for row in rows:
        got = rt.parking.ask(row["text"], record_gap=False)
        if got.topic != row.get("topic"):
            wrong.append({"text": row["text"], "expected": row.get("topic"), "predicted": got.topic,
                          "confidence": round(got.confidence, 3)})
    accuracy = round(1 - len(wrong) / len(rows), 4) if rows else 0.0
    # The two ways to fail differ for a resident: a wrong rule quoted, or a "don't know" with the phone number.
    uncovered = sum(1 for row in rows if row.get("topic") is None)
    missed_unknown = sum(1 for row in wrong if row["expected"] is None)
    covered_right = len(rows) - uncovered - (len(wrong) - missed_unknown)
    split = {"covered_top1": round(covered_right / (len(rows) - uncovered), 4) if len(rows) > uncovered else None,
             "dont_know_recall": round(1 - missed_unknown / uncovered, 4) if uncovered else None,
             "n_uncovered": uncovered}
    if as_json:
        emit({"top1_accuracy": accuracy, "n": len(rows), **split, "misses": wrong})
    else:
        click.echo(f"n={len(rows)} top1_accuracy={accuracy:.3f} covered_top1={split['covered_top1']} "
                   f"dont_know_recall={split['dont_know_recall']} (of {uncovered})")
        for row in wrong:
            click.echo(f"  ✗ {row['text']}  {row['expected']} → {row['predicted']} ({row['confidence']})")
    if min_accuracy is not None and accuracy < min_accuracy:
        click.echo(f"below target: top1_accuracy {accuracy:.3f} < {min_accuracy}", err=True)
        sys.exit(1)


@parking.command("gaps")
@click.option("--json", "as_json", is_flag=True)
def parking_gaps(as_json: bool) -> None:
    """Questions residents asked that the knowledge base could not answer."""
    gaps = runtime().parking.gaps()
    if as_json:
        emit([{"question": g.question, "alley": g.alley, "best_topic": g.best_topic,
                "confidence": round(g.confidence, 4), "asked_at": g.asked_at.isoformat()} for g in gaps])
    else:
        for g in gaps:
            click.echo(f"{g.asked_at:%Y-%m-%d %H:%M} {g.alley or '-'} {g.question}")
