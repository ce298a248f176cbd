"""Helpers for the metrics plugin's tests (a unique module name: test dirs share sys.path)."""

from __future__ import annotations

import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from queuectl_core.testing.pytest_plugin import QueuectlCli

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(cli: QueuectlCli) -> Samples:
    """``queuectl metrics``, parsed by prometheus_client's parser."""
    return parse(cli.run("metrics").stdout)


def parse(text: str) -> Samples:
    """Every sample of a text exposition by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The value of one sample; fails naming what there is when it is missing."""
    key = (name, tuple(sorted(labels.items())))
    if key not in samples:
        known = sorted({sample for sample, _ in samples})
        raise AssertionError(f"no sample {name}{labels}; names: {known}")
    return samples[key]


def fetch(url: str) -> tuple[int, str, str]:
    """GET ``url``: (status, Content-Type, body), for error statuses too."""
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.headers["Content-Type"], reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()
