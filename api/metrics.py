"""Prometheus metrics, served at ``/metrics``: requests and latency by route (``api.observability``), kept
answers, query timeouts (``graph.store.protocol``), and, read at each scrape, submissions by status.

The workers are separate processes, so the metrics use prometheus_client's multiprocess mode: each worker writes
its counts to files in ``PROMETHEUS_MULTIPROC_DIR`` (``ecomap serve`` makes a fresh one), and whichever worker
answers ``/metrics`` adds them all up.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = Counter(
    "ecomap_requests_total", "Requests answered, by route, method and status", ["route", "method", "status"]
)
LATENCY = Histogram(
    "ecomap_request_seconds",
    "Time to the last byte of the answer, by route",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
CACHE = Counter(
    "ecomap_answer_cache_total", "Answers kept once per data version: served kept (hit) or made (miss)", ["result"]
)
QUERY_TIMEOUTS = Counter("ecomap_query_timeouts_total", "Queries the store stopped at the time limit")


def metrics_text() -> bytes:
    """Every worker's metrics added up (multiprocess mode), or this process's own when run alone."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()
