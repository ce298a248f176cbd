# Shared set-up for the scripts: a uv-managed .venv with every workspace package.
# Sourced, not run. Needs only python3 (3.10+) and pip on the machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# UV_COMPILE_BYTECODE: compile at install time, so the CLI starts fast even where
# Python may not write bytecode caches (PYTHONDONTWRITEBYTECODE).
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1 UV_COMPILE_BYTECODE=1
PYTHON=${PYTHON:-$(command -v python3)}
if ! "$PYTHON" -m uv --version >/dev/null 2>&1; then
    echo "installing uv (the workspace's package manager) with pip..." >&2
    "$PYTHON" -m pip install --quiet --disable-pip-version-check uv 2>/dev/null \
        || "$PYTHON" -m pip install --quiet --disable-pip-version-check --user uv
fi
uv() { "$PYTHON" -m uv "$@"; }

# The workspace's own packages are installed editable: compile their sources too.
compile_sources() { .venv/bin/python -m compileall -q -x '/\.venv/' . >/dev/null || true; }
