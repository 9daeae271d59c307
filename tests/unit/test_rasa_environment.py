"""Residents' messages never leave the machine: every Rasa process starts with telemetry and Sentry off."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli


class Started(Exception):
    """Raised instead of replacing the test process with Rasa's."""


def test_rasa_serve_starts_rasa_without_telemetry_or_sentry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "rasa").write_text("#!/bin/sh\n")
    model = tmp_path / "var" / "rasa" / "models"
    model.mkdir(parents=True)
    from nlu.rasa_project import MODEL_NAME

    (model / f"{MODEL_NAME}.tar.gz").write_bytes(b"model")
    seen: dict[str, Any] = {}

    def execve(path: str, args: list[str], env: dict[str, str]) -> None:
        seen.update(path=path, args=args, env=env)
        raise Started

    monkeypatch.setattr(os, "execve", execve)
    env = {"ALLEYBOT_VAR_DIR": str(tmp_path / "var"), "ALLEYBOT_RASA_VENV": str(venv), "RASA_TOKEN": "t0ken",
           "RASA_TELEMETRY_ENABLED": "true", "SENTRY_DSN": "https://key@sentry.example/1"}  # as if set by someone
    result = CliRunner().invoke(cli, ["nlu", "rasa-serve", "--port", "5099"], env=env)
    assert isinstance(result.exception, Started), result.output
    assert seen["env"]["RASA_TELEMETRY_ENABLED"] == "false" and seen["env"]["SENTRY_DSN"] == ""
    assert seen["args"][1:3] == ["run", "--enable-api"] and "127.0.0.1" in seen["args"]
    assert seen["args"][-2:] == ["--auth-token", "t0ken"]


def test_rasa_train_runs_without_telemetry_or_sentry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from nlu import rasa_project

    seen: dict[str, Any] = {}

    def run(args: list[str], **kwargs: Any) -> None:
        seen.update(args=args, env=kwargs["env"])
        raise Started

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(rasa_project, "rasa_command", lambda places: Path("/fake/rasa"))
    from bot.core.config import load_config

    vocabulary = load_config(Path(__file__).resolve().parents[2] / "config").vocabulary()
    places = rasa_project.RasaPlaces(tmp_path / "venv", tmp_path / "models")
    with pytest.raises(Started):
        rasa_project.train(vocabulary, Path(__file__).resolve().parents[2] / "nlu" / "data", tmp_path / "rasa",
                           places, {"SENTRY_DSN": "https://key@sentry.example/1", "PATH": "/usr/bin"}, force=True)
    assert seen["args"][1:3] == ["train", "nlu"]
    assert seen["env"]["RASA_TELEMETRY_ENABLED"] == "false" and seen["env"]["SENTRY_DSN"] == ""
