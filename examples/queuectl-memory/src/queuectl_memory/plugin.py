"""The queuectl-memory plugin's hook implementations."""
