#!/usr/bin/env bash
# Install the course's exact versions (requirements.lock, the set CI tests) and the helpers
# (`-e .`) into a virtual environment: with uv when it can be installed (several times faster),
# else with pip, saying so in one line. The same versions either way.
#     tools/install.sh .venv
set -euo pipefail
venv="$1"
python="$venv/bin/python"
if "$python" -m pip install --quiet --disable-pip-version-check uv >/dev/null 2>&1 \
    && [ -x "$venv/bin/uv" ]; then
  VIRTUAL_ENV="$venv" "$venv/bin/uv" pip install --quiet --python "$python" \
    -r requirements.lock -e .
else
  echo "note: uv could not be installed, so pip installs the same versions (slower)"
  "$python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$python" -m pip install --quiet --disable-pip-version-check -r requirements.lock -e .
fi
