#!/usr/bin/env bash
# Create or refresh the project's virtualenv (.venv, or $ALLEYBOT_VENV). Safe to run again: it reinstalls
# only when pyproject.toml changed since the last install.
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
  "$venv/bin/pip" install --quiet --upgrade pip
fi
stamp="$venv/.alleybot-installed"
want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing alleybot and its dependencies into $venv ..." >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -e "$root[dev]"
  echo "$want" > "$stamp"
fi
