"""The benchmark suite: queuectl and its peers side by side (see docs/benchmarks/README.md)."""
