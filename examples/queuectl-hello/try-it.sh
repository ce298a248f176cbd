#!/bin/sh
# Try queuectl-hello on a throwaway queue (after: pip install -e examples/queuectl-hello).
set -eu
cd "$(mktemp -d)"                      # a fresh directory for the queue and the log
export QUEUECTL_DB="$PWD/queue.db"

queuectl config set hello_log "$PWD/hello.log"
id=$(queuectl hello Ann)               # enqueues a hello.greet job and prints its id
queuectl enqueue --id doomed --command "exit 3" --max-retries 0
queuectl worker run --burst            # runs both jobs, then exits
queuectl logs "$id"                    # hello, Ann
cat hello.log                          # one line per finished job
