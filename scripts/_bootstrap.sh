# Sourced by scripts/serve and scripts/test: creates .venv and installs medgraph
# into it, but only when pyproject.toml changed since the last install, so a
# second run starts in well under a second.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.medgraph-install-$1"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "medgraph: installing dependencies into .venv (first run only)…" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  if [ "$1" = test ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
  else
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
  fi
  echo "$want" > "$stamp"
fi
