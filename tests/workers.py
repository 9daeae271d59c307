"""Killing an RQ worker for real in fault tests."""

from __future__ import annotations

import os
import signal
import subprocess


def kill_worker_and_horses(pid: int) -> None:
    """SIGKILL an RQ worker and its work horses. A horse calls setsid(), so killing the worker's process
    group alone would leave it running (and finishing its job): its pid is found as a child of the worker."""
    horses = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    for horse in horses:
        os.kill(int(horse), signal.SIGKILL)
    os.killpg(pid, signal.SIGKILL)
