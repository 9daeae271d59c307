"""Background jobs: RQ workers against Redis in production, inline in the embedded default.

Jobs are looked up by name so that what is stored in Redis is a plain string plus JSON-safe arguments,
readable by any worker running any version that still knows the name. Each feature registers its own jobs
(``bot/<feature>/jobs.py``); this module knows none of them. A job receives the process's runtime, which
``alleybot worker`` (or a test's worker) hands over with ``set_worker_runtime`` before any job runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis

log = logging.getLogger(__name__)
QUEUE_NAME = "alleybot"

_REGISTRY: dict[str, Callable[..., None]] = {}
_worker_runtime: Any = None


def job(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        _REGISTRY[name] = fn
        return fn
    return register


def set_worker_runtime(rt: Any) -> None:
    """Give RQ-executed jobs the runtime of the worker process (``alleybot worker`` or a test's worker)."""
    global _worker_runtime
    _worker_runtime = rt


def run_job(name: str, kwargs: dict[str, Any]) -> None:
    """Entry point RQ calls (in a work horse forked from the worker): the job by name, with the runtime."""
    if _worker_runtime is None:
        raise RuntimeError("alleybot jobs run in `alleybot worker`, which provides the runtime")
    _REGISTRY[name](_worker_runtime, **kwargs)


class JobQueue:
    def __init__(self, client: redis.Redis, inline: bool, runtime: Any) -> None:
        self._inline = inline
        self._rt = runtime
        self._queue: Any = None
        if not inline:
            from rq import Queue

            self._queue = Queue(QUEUE_NAME, connection=client)

    @property
    def inline(self) -> bool:
        return self._inline

    def enqueue(self, name: str, at: datetime | None = None, **kwargs: Any) -> None:
        """Run a job now, or at ``at`` (RQ's scheduler; inline mode runs future jobs at once)."""
        if name not in _REGISTRY:
            raise KeyError(f"unknown job {name}")
        if at is not None and not self._inline and at > datetime.now(UTC):
            self._queue.enqueue_at(at, "bot.core.jobs.run_job", name, kwargs, job_timeout=300)
            return
        if self._inline:
            try:
                _REGISTRY[name](self._rt, **kwargs)
            except Exception:  # inline jobs must not break the caller, as a separate worker would not
                log.exception("inline job %s failed", name)
            return
        self._queue.enqueue("bot.core.jobs.run_job", name, kwargs, retry=None, job_timeout=300)


def schedule_once(queue: JobQueue, client: redis.Redis, name: str, run: datetime, keep_seconds: int) -> bool:
    """Queue job ``name`` at ``run`` unless some worker already queued that very run: a Redis key per run time
    keeps a chain of recurring jobs single however many workers start or restart. Inline mode has no scheduler
    (a future job would run at once): there the command line is for cron, and nothing is queued."""
    if queue.inline:
        return False
    if not client.set(f"alleybot:scheduled:{name}:{run.isoformat()}", "1", nx=True, ex=keep_seconds):
        return False
    queue.enqueue(name, at=run)
    return True
