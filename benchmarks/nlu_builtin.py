"""The built-in NLU's start-up from its cache, parse latency and memory (issue 18: p99 < 5 ms, start < 2 s).

Start-up is measured in fresh processes (imports, the cached model, jieba's dictionary, the first parse), after
one process has made sure the cache exists. Latency is every held-out message parsed ``--rounds`` times.

    .venv/bin/python benchmarks/nlu_builtin.py [--rounds 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETS = [*sorted((ROOT / "nlu" / "heldout").glob("*.jsonl")), ROOT / "nlu" / "data" / "test.jsonl"]
CACHE = ROOT / "var" / "nlu"

_START = """
import time; t0 = time.perf_counter()
import sys; sys.path.insert(0, {root!r})
from pathlib import Path
from bot.core.config import load_config
from nlu import builtin
root = Path({root!r})
nlu = builtin.load(load_config(root / "config").vocabulary(), root / "nlu" / "data", Path({cache!r}))
nlu.parse("光明胡同的路灯不亮了")
print(time.perf_counter() - t0)
"""


def start_seconds() -> float:
    code = _START.format(root=str(ROOT), cache=str(CACHE))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    start_seconds()  # trains and caches the model if this data has none yet
    starts = [start_seconds() for _ in range(3)]

    sys.path.insert(0, str(ROOT))
    from bot.core.config import load_config
    from nlu import builtin

    nlu = builtin.load(load_config(ROOT / "config").vocabulary(), ROOT / "nlu" / "data", CACHE)
    texts = [json.loads(line)["text"] for path in SETS for line in path.read_text().splitlines() if line.strip()]
    for text in texts:  # warm: first calls pay for lazy imports and caches
        nlu.parse(text)
    latencies = []
    for _ in range(args.rounds):
        for text in texts:
            began = time.perf_counter()
            nlu.parse(text)
            latencies.append((time.perf_counter() - began) * 1000)
    q = statistics.quantiles(latencies, n=100)
    result = {
        "start_s": {"median": round(statistics.median(starts), 3), "max": round(max(starts), 3)},
        "parse_ms": {"p50": round(q[49], 3), "p99": round(q[98], 3), "max": round(max(latencies), 3),
                     "n": len(latencies)},
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
