#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs every workspace package and
# the dev tools into .venv, then runs the linter, the type checker and pytest.
# Extra arguments go to pytest (e.g. scripts/test.sh -k retry).
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
uv sync --quiet --all-packages --python "$PYTHON"
compile_sources
echo "== ruff" && .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy" && .venv/bin/mypy
echo "== pytest" && .venv/bin/pytest "$@"
