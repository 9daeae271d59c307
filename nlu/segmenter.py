"""jieba's dictionary, loaded once per process and fast: for the built-in NLU and for the parking search."""

from __future__ import annotations

import functools
import logging
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any


@functools.cache
def jieba() -> Any:
    # Imported on first use; its log level set once (setLevel clears every logger's cache: not per message).
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def load_dictionary(cache_dir: Path) -> None:
    """Load jieba's prefix dictionary from the NLU cache, read whole. jieba's own loader unmarshals its cache
    from a file object in small reads (1.3 s of a 1.6 s start on this machine, against 0.4 s for the same bytes
    read at once), and keeps it in the shared temporary directory."""
    jieba_module = jieba()
    tokenizer = jieba_module.dt
    if tokenizer.initialized:
        return
    path = cache_dir / f"jieba-{jieba_module.__version__}.marshal"
    try:
        kept = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError):
        kept = None  # none yet, or unreadable: jieba builds it, and it is kept below
    if isinstance(kept, tuple) and len(kept) == 2 and isinstance(kept[0], dict):
        with tokenizer.lock:
            tokenizer.FREQ, tokenizer.total = kept
            tokenizer.initialized = True
        return
    tokenizer.initialize()
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(marshal.dumps((tokenizer.FREQ, tokenizer.total)))
    os.replace(tmp, path)
