"""Prometheus metrics for queuectl: jobs per state and queue, counters, histograms."""
