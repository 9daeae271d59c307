"""Run `alleybot` in this process (Click's CliRunner), the way the tests of the command line mostly should.

A real subprocess costs a Python start-up and a runtime build each time; the few tests that are about the
process itself (the worker, the terminal chat, exit codes of the installed command) still start one. The
result looks like ``subprocess.CompletedProcess``: ``returncode``, ``stdout``, ``stderr``.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass

from click.testing import CliRunner

from bot.cli import cli
from bot.core.config import ConfigError


@dataclass(frozen=True)
class Ran:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def run_cli(args: list[str], env: Mapping[str, str]) -> Ran:
    """``alleybot ARGS`` with ``env`` as its environment; exit codes as ``bot.cli.main`` gives them."""
    result = CliRunner().invoke(cli, args, env=dict(env), catch_exceptions=True)
    stderr = result.stderr
    code = result.exit_code
    if isinstance(result.exception, ConfigError):  # what main() turns into exit 2 with the message
        code, stderr = 2, f"{stderr}{result.exception}\n"
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback is a test failure, not an exit code
    gc.collect()  # the command's runtime (and its connection pools) goes now, not at some later collection
    return Ran(list(args), code, result.stdout, stderr)
