"""queuectl-callback: run a shell command on chosen job lifecycle events."""
