#!/usr/bin/env bash
# Re-resolve requirements.lock from pyproject.toml (a deliberate upgrade: review the diff, run the tests,
# commit the lock with the code it needs). Extra arguments go to `uv pip compile`, for example
# `--upgrade-package rq` to move one package, or `--upgrade` to move everything.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${ALLEYBOT_LOCK_TOOLS:-$HOME/.cache/alleybot/lock-tools}"
if [ ! -x "$tools/bin/uv" ]; then
  python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet --disable-pip-version-check "uv==0.13.9"
fi
cd "$root"
"$tools/bin/uv" pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
  --python-platform x86_64-manylinux_2_28 --no-header --quiet -o requirements.lock "$@"
echo "requirements.lock updated; run bash scripts/test.sh before committing it" >&2
