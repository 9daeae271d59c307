"""``python -m bot`` is the same as the ``alleybot`` command."""

from bot.cli import main

main()
