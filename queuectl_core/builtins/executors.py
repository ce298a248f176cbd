"""Built-in executors (filled in by the worker work)."""
