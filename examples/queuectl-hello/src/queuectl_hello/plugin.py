"""The queuectl-hello plugin's hook implementations."""
