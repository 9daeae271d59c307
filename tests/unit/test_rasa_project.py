"""The generated Rasa project: its fingerprint names what the model learns from, wherever the checkout is."""

from __future__ import annotations

from pathlib import Path

from bot.core.config import load_config
from nlu import rasa_project

ROOT = Path(__file__).resolve().parents[2]


def test_the_fingerprint_does_not_depend_on_where_the_project_is_built(tmp_path: Path) -> None:
    """CI trains in a fresh clone at another path: the model cached by this fingerprint must still be found."""
    vocabulary = load_config(ROOT / "config").vocabulary()
    _, here = rasa_project.build(vocabulary, ROOT / "nlu" / "data", tmp_path / "one" / "rasa")
    elsewhere, there = rasa_project.build(vocabulary, ROOT / "nlu" / "data", tmp_path / "elsewhere" / "x" / "rasa")
    assert here == there
    # The config Rasa reads still names that project's own dictionary directory.
    assert str(tmp_path / "elsewhere" / "x" / "rasa" / "jieba") in (elsewhere.root / "config.yml").read_text()


def test_the_fingerprint_changes_with_the_training_data(tmp_path: Path) -> None:
    vocabulary = load_config(ROOT / "config").vocabulary()
    data = tmp_path / "data"
    data.mkdir()
    original = (ROOT / "nlu" / "data" / "nlu.yml").read_text(encoding="utf-8")
    (data / "nlu.yml").write_text(original, encoding="utf-8")
    before = rasa_project.build(vocabulary, data, tmp_path / "rasa")[1]
    changed = original.replace("    - 老年卡怎么办\n", "    - 老年卡怎么办理啊\n")
    (data / "nlu.yml").write_text(changed, encoding="utf-8")
    assert rasa_project.build(vocabulary, data, tmp_path / "rasa")[1] != before
