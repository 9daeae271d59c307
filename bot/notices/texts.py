"""Outbox words in Chinese: what a notice that is not text is recorded as."""

from __future__ import annotations

# An image sent through the outbox keeps this as its text, for the console's and the inbox's lists.
IMAGE_NOTICE = "[照片]"
