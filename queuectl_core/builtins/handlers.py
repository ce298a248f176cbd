"""Built-in handlers (filled in by the worker work)."""
