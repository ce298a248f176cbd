"""Prometheus metrics for queuectl: jobs per state and queue, counters, duration and queue-wait histograms, live workers."""
