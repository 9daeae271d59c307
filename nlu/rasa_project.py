"""Build, train and serve the Rasa 3.6 backend from the same data as the built-in one.

Rasa needs Python 3.10 and pins old libraries, so it lives in its own virtualenv (``scripts/rasa-venv.sh``,
cached outside the clone) and the bot talks to it over HTTP. This module only writes files and runs that
virtualenv's ``rasa`` command.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from nlu import training_data
from nlu.gazetteer import Gazetteer
from nlu.vocabulary import Vocabulary

RASA_VERSION = "3.6.21"
PACKAGE = Path(__file__).resolve().parent
DEFAULT_VENV = Path.home() / ".cache" / "alleybot" / f"rasa-{RASA_VERSION}-py3.10"
MODEL_NAME = "alleybot"


@dataclass(frozen=True)
class RasaPlaces:
    """Where Rasa's own virtualenv is, and where trained models are cached (both outside the clone)."""

    venv: Path = DEFAULT_VENV
    models: Path = DEFAULT_VENV.parent / "rasa-models"


def rasa_command(places: RasaPlaces) -> Path:
    command = places.venv / "bin" / "rasa"
    if not command.exists():
        raise FileNotFoundError(f"Rasa is not installed at {command}: run `bash scripts/rasa-venv.sh` first")
    return command


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def model(self) -> Path:
        return self.root / "models" / f"{MODEL_NAME}.tar.gz"

    @property
    def stamp(self) -> Path:
        return self.root / "models" / f"{MODEL_NAME}.fingerprint"


def _gazetteer_yaml(gaz: Gazetteer) -> str:
    """Lookup tables (longest names first: the regex alternation takes the first that matches) and synonyms."""
    def item(kind: str, name: str, words: list[str]) -> str:
        return f"- {kind}: {json.dumps(name, ensure_ascii=False)}\n  examples: |\n" + "".join(
            f"    - {w}\n" for w in words)

    groups = {"alley": gaz.alley_spellings, "category": gaz.category_keywords, "rating": gaz.rating_words}
    parts = ["# generated from config/ and nlu/data by `alleybot nlu rasa-train`: do not edit\n",
             'version: "3.1"\nnlu:\n']
    by_value: dict[str, list[str]] = {}
    for entity, pairs in groups.items():
        parts.append(item("lookup", entity, [w for w, _ in pairs]))
        for word, value in pairs:
            if word != value:
                by_value.setdefault(value, []).append(word)
    for value, words in sorted(by_value.items()):
        parts.append(item("synonym", value, sorted(set(words), key=lambda w: (-len(w), w))))
    return "".join(parts)


def _jieba_dictionary(gaz: Gazetteer) -> str:
    words = {w for w, _ in gaz.alley_spellings} | {w for w, _ in gaz.category_keywords}
    return "".join(f"{w} 2000 n\n" for w in sorted(words))


def build(vocabulary: Vocabulary, data_dir: Path, root: Path) -> tuple[Project, str]:
    """Write the Rasa project (data, generated gazetteer, dictionary, config); return it and its fingerprint."""
    data = training_data.load(data_dir)
    gaz = Gazetteer.from_vocabulary(vocabulary, data)
    project = Project(root)
    for sub in ("data", "jieba", "models"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for old in (root / "data").glob("*.yml"):
        old.unlink()
    for src in sorted(data_dir.glob("*.yml")):
        shutil.copyfile(src, root / "data" / src.name)
    (root / "data" / "gazetteer.yml").write_text(_gazetteer_yaml(gaz), encoding="utf-8")
    (root / "jieba" / "userdict.txt").write_text(_jieba_dictionary(gaz), encoding="utf-8")
    pipeline = (PACKAGE / "config.yml").read_text(encoding="utf-8")
    (root / "config.yml").write_text(pipeline.replace("JIEBA_DICTIONARY_DIR", str(root / "jieba")), encoding="utf-8")
    # The fingerprint is of what the model learns from: the pipeline as written, not with this checkout's
    # path filled in (the model keeps its own copy of the dictionary), so a clone elsewhere finds the model
    # trained here.
    digest = hashlib.sha256(RASA_VERSION.encode())
    digest.update(b"config.yml\0" + pipeline.encode())
    for path in sorted([*(root / "data").glob("*.yml"), root / "jieba" / "userdict.txt"]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return project, digest.hexdigest()


def train(vocabulary: Vocabulary, data_dir: Path, root: Path, places: RasaPlaces, environment: Mapping[str, str],
          force: bool = False) -> Project:
    """Train unless a model of exactly this data, config and dictionary exists (here or in the cache of trained
    models by fingerprint, outside the clone: a fresh clone of unchanged data needs no training)."""
    project, fingerprint = build(vocabulary, data_dir, root)
    cached = places.models / f"{fingerprint}.tar.gz"
    current = project.model.is_file() and project.stamp.is_file() and project.stamp.read_text().strip() == fingerprint
    if force or not current:
        if not force and cached.is_file():
            shutil.copyfile(cached, project.model)
        else:
            subprocess.run([str(rasa_command(places)), "train", "nlu", "--config", "config.yml", "--nlu", "data",
                            "--out", "models", "--fixed-model-name", MODEL_NAME], cwd=root, check=True,
                           env=rasa_environment(environment))
        project.stamp.write_text(fingerprint)
    if not cached.is_file():
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(project.model, cached)
    return project


def rasa_environment(base: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment for Rasa's process, minus phoning home (telemetry, Sentry): there is no
    network for that here, nor any need."""
    return {**base, "RASA_TELEMETRY_ENABLED": "false", "SENTRY_DSN": "", "TF_CPP_MIN_LOG_LEVEL": "2"}


def serve_command(project: Project, port: int, token: str | None, places: RasaPlaces) -> list[str]:
    """``rasa run --enable-api`` on loopback only; with a token, because without one every endpoint is open."""
    cmd = [str(rasa_command(places)), "run", "--enable-api", "--model", str(project.model), "-i", "127.0.0.1",
           "-p", str(port)]
    if token:
        cmd += ["--auth-token", token]
    return cmd
