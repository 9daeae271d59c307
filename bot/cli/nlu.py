"""The NLU: parse, evaluate, and the Rasa backend (train, serve)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bot.cli.base import cli, emit
from bot.core.settings import Settings


@cli.group()
def nlu() -> None:
    """Natural-language understanding."""


BACKEND = click.Choice(["builtin", "rasa"])


def _nlu_backend(backend: str | None) -> Any:
    from bot.core.config import load_config
    from nlu.factory import make_nlu

    settings = Settings.from_env()
    try:
        return make_nlu(settings.nlu_options, load_config(settings.config_dir).vocabulary(), backend)
    except ValueError as exc:  # a setting missing or wrong: one line, not a traceback
        raise click.ClickException(str(exc)) from exc


@nlu.command("parse")
@click.argument("text")
@click.option("--backend", type=BACKEND, default=None, help="Default: NLU_BACKEND.")
@click.option("--json", "as_json", is_flag=True)
def nlu_parse(text: str, backend: str | None, as_json: bool) -> None:
    """Print the intent, confidence and canonical entities of TEXT."""
    parsed = _nlu_backend(backend).parse(text)
    if as_json:
        emit(parsed.to_json())
    else:
        click.echo(f"{parsed.intent} ({parsed.confidence:.2f}) {parsed.entities}")


@nlu.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--backend", type=BACKEND, default=None, help="Default: NLU_BACKEND.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--min-accuracy", type=float, default=None, help="Exit 1 when intent accuracy is lower.")
@click.option("--min-entity-f1", type=float, default=None, help="Exit 1 when entity F1 is lower.")
@click.option("--min-oos-recall", type=float, default=None, help="Exit 1 when out_of_scope recall is lower.")
@click.option("--min-category-accuracy", type=float, default=None,
              help="Exit 1 when the category of reports that state one is right less often.")
@click.option("--min-report-precision", type=float, default=None, help="Exit 1 when report_issue precision is lower.")
@click.option("--failures", is_flag=True, help="List every miss (text, expected, predicted) after the figures.")
def nlu_eval(file: Path, backend: str | None, as_json: bool, min_accuracy: float | None,
             min_entity_f1: float | None, min_oos_recall: float | None, min_category_accuracy: float | None,
             min_report_precision: float | None, failures: bool) -> None:
    """Evaluate a backend on FILE (JSONL of {"text", "intent", "entities"})."""
    from nlu.evaluation import evaluate, read_jsonl

    try:
        rows = read_jsonl(file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    report = evaluate(_nlu_backend(backend), rows)
    if as_json:
        emit(report)
    else:
        click.echo(f"n={report['n']} intent_accuracy={report['intent_accuracy']:.3f} "
                   f"entity_f1={report['entity_f1']:.3f} category_accuracy={report['category_accuracy']} "
                   f"oos_recall={report['out_of_scope_recall']} report_precision={report['report_issue_precision']} "
                   f"p50={report['latency_ms']['p50']}ms p99={report['latency_ms']['p99']}ms")
        for pair in report["most_confused"][:8]:
            click.echo(f"  {pair['expected']} → {pair['predicted']} ×{pair['count']}")
    if failures and not as_json:
        for row in report["misclassified"]:
            click.echo(f"  ✗ {row['text']}  {row['expected']} → {row['predicted']} ({row['confidence']})")
        for row in report["entity_errors"]:
            click.echo(f"  ≠ {row['text']}  {row['expected']} → {row['predicted']}")
    below = [f"{name} {value:.3f} < {floor}" for name, value, floor in (
        ("intent_accuracy", report["intent_accuracy"], min_accuracy),
        ("entity_f1", report["entity_f1"], min_entity_f1),
        ("out_of_scope recall", report["out_of_scope_recall"] or 0.0, min_oos_recall),
        ("category accuracy", report["category_accuracy"] or 0.0, min_category_accuracy),
        ("report_issue precision", report["report_issue_precision"] or 0.0, min_report_precision))
        if floor is not None and value < floor]
    if below:
        click.echo("below target: " + "; ".join(below), err=True)
        sys.exit(1)


@nlu.command("rasa-train")
@click.option("--force", is_flag=True, help="Train even if the model is up to date.")
def nlu_rasa_train(force: bool) -> None:
    """Build var/rasa from nlu/data and config/, and train the Rasa model (skipped when up to date)."""
    from bot.core.config import load_config
    from nlu import rasa_project
    from nlu.factory import DATA_DIR

    settings = Settings.from_env()
    try:
        project = rasa_project.train(load_config(settings.config_dir).vocabulary(), DATA_DIR, settings.var_dir / "rasa",
                                     settings.rasa_places, dict(settings.environment), force)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(project.model))


@nlu.command("rasa-serve")
@click.option("--port", default=5005, show_default=True, type=int)
def nlu_rasa_serve(port: int) -> None:
    """Serve the trained Rasa model on 127.0.0.1 (`rasa run --enable-api`, with RASA_TOKEN as auth token)."""
    import os

    from nlu import rasa_project

    settings = Settings.from_env()
    project = rasa_project.Project(settings.var_dir / "rasa")
    if not project.model.is_file():
        raise click.ClickException("no trained model: run `alleybot nlu rasa-train` first")
    command = rasa_project.serve_command(project, port, settings.rasa_token, settings.rasa_places)
    os.execve(command[0], command, rasa_project.rasa_environment(dict(settings.environment)))
