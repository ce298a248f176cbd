"""The queuectl-webhook plugin's hook implementations."""
