#!/usr/bin/env bash
# One command from a fresh clone to a first real job, end to end, on the embedded
# SQLite backend: installs queuectl with the Redis backend and the plugins the README
# shows (dashboard, webhook, callback, metrics) into .venv, enqueues a job, runs a
# worker until the queue is empty, and shows the job with its captured output.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
sync --quiet --no-dev --extra all
compile_sources
export QUEUECTL_DB=${QUEUECTL_DB:-$PWD/.queuectl-quickstart.db}
q() {  # show each command as a person would type it, then run it
    local shown=() arg
    for arg in "$@"; do [[ $arg == *[[:space:]\$\"]* ]] && shown+=("'$arg'") || shown+=("$arg"); done
    echo "\$ queuectl ${shown[*]}" >&2
    .venv/bin/queuectl "$@"
}
id=$(q enqueue --command 'echo "Hello from queuectl on $(hostname)"')
q worker run --burst
q show "$id"
q logs "$id"
q status
echo >&2
echo "queuectl is installed in .venv: run '.venv/bin/queuectl --help' (or 'source .venv/bin/activate')." >&2
echo "Installed too: the Redis backend and the dashboard, webhook, callback and metrics plugins." >&2
echo "This demo used the database $QUEUECTL_DB." >&2
