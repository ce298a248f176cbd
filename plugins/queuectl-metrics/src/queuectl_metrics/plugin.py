"""The queuectl-metrics plugin's hook implementations."""
