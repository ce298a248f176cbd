#!/usr/bin/env bash
# The benchmark suite: queuectl and its peers (huey, rq, task-spooler) side by side.
#
#   bash benchmarks/run.sh [--quick] [--repeat K] [--only NAME...] [--out DIR] [--list]
#
# Needs only Python 3.10+, pip and apt: installs what is missing (the repository's
# .venv, the peers' own environment benchmarks/.peers/, the Debian packages
# redis-server and task-spooler), then runs benchmarks/suite.py.
# See docs/benchmarks/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/_env.sh"  # cd to the repo; .venv, $UV, sync
PEERS=benchmarks/.peers
REQUIREMENTS=benchmarks/peers/requirements.txt

# queuectl with its Redis backend, installed as scripts/test.sh installs it.
if ! .venv/bin/python -c "import queuectl_core, queuectl_sqlite, queuectl_redis" 2>/dev/null; then
    echo "installing queuectl into .venv..." >&2
    sync --quiet --all-packages
    compile_sources
fi

# The peers, at the pinned versions, in an environment of their own.
peers_installed() {
    "$PEERS/bin/python" - "$REQUIREMENTS" 2>/dev/null <<'PY'
import importlib.metadata as metadata, sys
for line in open(sys.argv[1]):
    name, _, version = line.split("#")[0].strip().partition("==")
    if name and metadata.version(name) != version:
        sys.exit(1)
PY
}
if ! peers_installed; then
    echo "installing the peers into $PEERS (uv, $REQUIREMENTS)..." >&2
    [ -x "$PEERS/bin/python" ] || "$UV" venv --quiet --python "$PYTHON" "$PEERS"
    "$UV" pip install --quiet --python "$PEERS/bin/python" -r "$REQUIREMENTS"
fi

# Debian packages whose programs are missing: redis-server, task-spooler (tsp).
apt_install() {  # apt_install PROGRAM PACKAGE
    command -v "$1" >/dev/null && return
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo -n"; fi
    echo "installing $2 (Debian package) for $1..." >&2
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
apt_install redis-server redis-server
apt_install tsp task-spooler

exec .venv/bin/python -m benchmarks.suite "$@"
