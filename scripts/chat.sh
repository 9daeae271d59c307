#!/usr/bin/env bash
# Set up and talk to the bot in the terminal on the embedded default: SQLite under ./var, in-process
# fakeredis, the console WeChat fake. Arguments go to `alleybot chat` (e.g. --as o_someone).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
cd "$root"
bin="${ALLEYBOT_VENV:-$root/.venv}/bin"
"$bin/alleybot" db upgrade
"$bin/alleybot" seed
exec "$bin/alleybot" chat "$@"
