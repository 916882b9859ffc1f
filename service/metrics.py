"""Prometheus metrics of one app, in a registry of its own (no process-wide globals)."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Latency buckets around what /classify takes (milliseconds) up to slow file uploads (seconds).
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The counters and histograms the service exports at ``GET /metrics``."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        # With several server processes, prometheus_client writes each value to a file in this
        # folder (it reads the variable when first imported) and /metrics adds them all up.
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self._version: str | None = None
        self.requests = Counter(
            "rolelens_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rolelens_http_request_duration_seconds",
            "Time to answer a request, by route, method and status",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "rolelens_predictions",
            "Texts classified, by predicted label",
            ["label"],
            registry=self.registry,
        )
        self.model_info = Gauge(
            "rolelens_model_info",
            "The model being served (value 1 on its version)",
            ["version"],
            registry=self.registry,
            multiprocess_mode="liveall",  # with several processes: one series per live process (its pid)
        )
        self.reloads = Counter(
            "rolelens_model_reloads",
            "Model reloads asked for, by outcome (swapped, unchanged, refused)",
            ["outcome"],
            registry=self.registry,
        )

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        labels = (route, method, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def serving(self, version: str) -> None:
        """Report ``version`` as the one model being served."""
        if version == self._version:
            return
        if self._version is not None:
            self.model_info.labels(self._version).set(0)  # the value other processes' files are read with
            self.model_info.remove(self._version)
        self._version = version
        self.model_info.labels(version).set(1)

    def render(self) -> bytes:
        """The text exposition format of every metric (of every server process, when there are several)."""
        if not self.multiprocess_dir:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, self.multiprocess_dir)
        return generate_latest(registry)

    def close(self) -> None:
        """Drop this process's live-only values (its model version) when it stops."""
        if self.multiprocess_dir:
            multiprocess.mark_process_dead(os.getpid(), self.multiprocess_dir)
