"""queuectl's embedded SQLite storage backend: one machine, no server."""

__version__ = "0.1.0"
