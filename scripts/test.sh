#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs every workspace package and
# the dev tools into .venv, then runs the linter, the type checker and pytest.
# Extra arguments go to pytest (e.g. scripts/test.sh -k retry, or -n 0 for one process).
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
sync --quiet --all-packages
compile_sources
echo "== ruff" && .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy" && .venv/bin/mypy
# The Redis backend's tests start redis-server processes of their own on free ports
# (the Debian package's service is never used): install the program if it is missing.
install_redis_server() {
    command -v redis-server >/dev/null && return
    local sudo=""
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then sudo="sudo -n"; fi
    if command -v apt-get >/dev/null && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
        echo "installing redis-server (Debian package) for the real-Redis tests..." >&2
        $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq redis-server >/dev/null && return
    fi
    echo "note: redis-server is not installed: real-Redis tests will be skipped" \
        "(and fail under CI=true)" >&2
}
install_redis_server
# Two pytest-xdist workers per core: most end-to-end tests wait on real processes and
# real time, so twice the cores finishes the suite about a fifth sooner than one per
# core (908 s against 1134 s on 2 cores). Each worker starts servers of its own.
# -n 0 (or any -n given) overrides it; -n 0 runs in one process.
procs=$(( $(nproc 2>/dev/null || echo 1) * 2 ))
echo "== pytest" && .venv/bin/pytest -n "$procs" "$@"
