"""``alleybot``: the command line of DESIGN §5, one module per feature (each adds its commands to the group)."""

from bot.cli import (  # noqa: F401  (registration)
    broadcasts,
    chiefs,
    console,
    issues,
    nlu,
    parking,
    polls,
    server,
    stewards,
    users,
)
from bot.cli.base import cli, main

__all__ = ["cli", "main"]
