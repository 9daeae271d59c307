#!/usr/bin/env bash
# Install Rasa 3.6 into its own Python 3.10 virtualenv, cached outside the clone ($ALLEYBOT_RASA_VENV,
# default ~/.cache/alleybot/rasa-3.6.21-py3.10). Rasa pins old numpy/SQLAlchemy/pydantic/sanic, so it can't
# share the bot's virtualenv; the bot talks to it over HTTP. Safe to run again: an intact venv is kept.
set -euo pipefail
venv="${ALLEYBOT_RASA_VENV:-$HOME/.cache/alleybot/rasa-3.6.21-py3.10}"
python="${ALLEYBOT_RASA_PYTHON:-/root/.pyenv/versions/3.10.13/bin/python}"
if [ -x "$venv/bin/rasa" ] && "$venv/bin/python" -c 'import jieba, rasa, sys; sys.exit(rasa.__version__ != "3.6.21")' 2>/dev/null; then
  exit 0
fi
if ! "$python" -c 'import sys; sys.exit(not ((3, 8) <= sys.version_info[:2] < (3, 11)))'; then
  echo "Rasa 3.6 needs Python 3.8–3.10; set ALLEYBOT_RASA_PYTHON (found: $("$python" --version 2>&1))" >&2
  exit 1
fi
echo "installing Rasa 3.6.21 into $venv (several minutes, once; log: $venv.log) ..." >&2
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
exec 3>&2 2>"$venv.log"
trap 'exec 2>&3; echo "Rasa install failed; see $venv.log" >&2' ERR
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip "setuptools<70" wheel
# Pinned: an unpinned install resolves to an ancient Rasa on the wrong Python.
# JiebaTokenizer imports jieba, which Rasa does not install itself.
"$venv/bin/pip" install --quiet --disable-pip-version-check "rasa==3.6.21" "jieba==0.42.1"
"$venv/bin/rasa" --version >/dev/null
exec 2>&3
echo "Rasa installed in $venv" >&2
