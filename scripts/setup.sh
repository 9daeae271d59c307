#!/usr/bin/env bash
# Create or refresh the project's virtualenv (.venv, or $ALLEYBOT_VENV) from the lock file. Safe to run
# again: it reinstalls only when requirements.lock or pyproject.toml changed since the last install.
# Every dependency comes from requirements.lock, pinned with hashes; to upgrade deliberately, see
# docs/dependencies.md (`bash scripts/lock.sh`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${ALLEYBOT_VENV:-$root/.venv}"
python="${ALLEYBOT_PYTHON:-python3}"

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "alleybot needs Python 3.11 or newer (found: $("$python" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
stamp="$venv/.alleybot-installed"
want="$(cat "$root/pyproject.toml" "$root/requirements.lock" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing alleybot and its locked dependencies into $venv ..." >&2
  pip=("$venv/bin/pip" --quiet --disable-pip-version-check)
  # --require-hashes: a file that differs from the one locked is refused, not installed.
  "${pip[@]}" install --require-hashes --no-deps -r "$root/requirements.lock"
  # The project itself, editable, without re-resolving anything: its dependencies are the lock's.
  "${pip[@]}" install --no-deps -e "$root"
  "${pip[@]}" check
  echo "$want" > "$stamp"
fi
# The console's browser libraries (charts, map), from the npm lock: served by the app, no CDN.
bash "$root/scripts/assets.sh"
