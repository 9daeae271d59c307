"""The `alleybot` group and what its commands share: building the runtime, printing one JSON document."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from bot.core.config import ConfigError
from bot.core.settings import Settings

if TYPE_CHECKING:
    from bot.runtime import Runtime


def runtime() -> Runtime:
    # Imported when a command runs: `alleybot --help` and the config checks stay quick.
    from bot.runtime import Runtime

    return Runtime.build(Settings.from_env())


def emit(doc: Any) -> None:
    click.echo(json.dumps(doc, ensure_ascii=False, default=str))


@click.group()
def cli() -> None:
    """街巷助手 alleybot."""


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


def alley_named(rt: Runtime, words: str) -> str | None:
    """The alley an administrator named: its name or an alias as written, else read the way a resident's words
    are (儿化, typos), which loads the NLU."""
    for alley in rt.config.alleys:
        if words in (alley.name, *alley.aliases):
            return alley.name
    found = rt.gazetteer.alley_in(words)
    return str(found) if found else None
