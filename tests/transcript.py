"""Transcript tests (as in Zulip's bot tests): what the user sends, and what the reply must contain.

A step is (input, expected): input is a simulator line (text or /command); expected is a string that the
reply must contain, a tuple of strings that it must all contain, or None for no reply at all.
"""

from __future__ import annotations

from bot.simulator import Simulator

Expected = str | tuple[str, ...] | None


def play(sim: Simulator, steps: list[tuple[str, Expected]]) -> list[str | None]:
    replies = []
    for number, (line, expected) in enumerate(steps, 1):
        reply = sim.command(line)
        replies.append(reply)
        where = f"step {number} {line!r}: got {reply!r}"
        if expected is None:
            assert reply is None, where
            continue
        assert reply is not None, where
        for part in (expected,) if isinstance(expected, str) else expected:
            assert part in reply, f"{where}; expected {part!r}"
    return replies
