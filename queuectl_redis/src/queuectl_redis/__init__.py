"""queuectl's Redis storage backend: one Redis or Redis Cluster shared by many hosts."""
