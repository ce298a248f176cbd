"""Executors run one attempt of a job: shell commands, Python handlers, plugins' own."""
