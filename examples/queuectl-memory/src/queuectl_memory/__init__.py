"""An example queuectl storage backend that keeps jobs in memory (one process)."""
