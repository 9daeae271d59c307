#!/usr/bin/env bash
# Set up and run the tests. Backends: ALLEYBOT_TEST_DB=postgres|sqlite|auto, ALLEYBOT_TEST_REDIS=real|fake|auto
# (auto: PostgreSQL and Redis on 127.0.0.1 when reachable, else SQLite and fakeredis; with CI=true they
# are required). Extra arguments go to pytest. `--fast` runs the fast tier (what to run after every change):
# SQLite + fakeredis, no process-starting or real-Redis tests (`-m "not slow and not rasa"`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
cd "$root"
if [ "${1:-}" = "--fast" ]; then
  shift
  export ALLEYBOT_TEST_DB=sqlite ALLEYBOT_TEST_REDIS=fake
  set -- -q -m "not slow and not rasa" "$@"
fi
# pytest exits 5 when it collected no tests: that is a failure here too, as is any other non-zero code.
exec "${ALLEYBOT_VENV:-$root/.venv}/bin/python" -m pytest "$@"
