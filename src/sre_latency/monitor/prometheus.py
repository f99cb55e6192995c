"""The monitor's Prometheus instruments (prometheus-client), in their own registry.

Names follow Prometheus conventions: base units (seconds), ``_total`` on counters, labels of low
cardinality only (``provider``, ``model``, ``target``, ``location``, and ``class`` on errors;
never a request id). Histograms count successful requests (an error has no TTFT); errors are
counted by class. Every target's series exist from the start at zero, so ``rate()`` and the
ratio rules see the first request and the first error.

    sre_latency_ttft_seconds{…}                       histogram, time to first content token
    sre_latency_request_duration_seconds{…}           histogram, request start to end of stream
    sre_latency_itl_seconds{…}                        histogram, a request's mean token gap
    sre_latency_requests_total{…}                     counter, requests finished (ok or not)
    sre_latency_errors_total{…, class}                counter, failed requests by error class
    sre_latency_last_success_timestamp_seconds{…}     gauge, end of the last successful request
    sre_latency_slo_compliance_ratio{…}               gauge, good / all over the rolling window
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sre_latency.errors import ERROR_CLASSES
from sre_latency.monitor.buckets import buckets_for
from sre_latency.monitor.observation import Observation

LABELS = ("provider", "model", "target", "location")


class PrometheusSink:
    """Updates the instruments for each observation; ``registry`` is what ``/metrics`` serves."""

    def __init__(self, goodput_ms: dict[str, float] | None = None):
        from prometheus_client import (
            CollectorRegistry,
            Counter,
            Gauge,
            Histogram,
            disable_created_metrics,
        )

        disable_created_metrics()  # no *_created series: nothing here restarts counters
        b = buckets_for(goodput_ms or {})
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.ttft = Histogram(
            "sre_latency_ttft_seconds",
            "Time to the first content token of a streamed request (successful requests).",
            LABELS,
            buckets=b["ttft"],
            registry=r,
        )
        self.duration = Histogram(
            "sre_latency_request_duration_seconds",
            "Request start to end of stream (successful requests).",
            LABELS,
            buckets=b["duration"],
            registry=r,
        )
        self.itl = Histogram(
            "sre_latency_itl_seconds",
            "Mean inter-token latency of a request (gap between content deltas).",
            LABELS,
            buckets=b["itl"],
            registry=r,
        )
        self.requests = Counter(
            "sre_latency_requests", "Requests the monitor finished, ok or not.", LABELS, registry=r
        )
        self.errors = Counter(
            "sre_latency_errors", "Failed requests by error class.", (*LABELS, "class"), registry=r
        )
        self.last_success = Gauge(
            "sre_latency_last_success_timestamp_seconds",
            "End of the last successful request, Unix time.",
            LABELS,
            registry=r,
        )
        self.compliance = Gauge("sre_latency_slo_compliance_ratio",
                                "Good requests / all requests over the monitor's rolling "
                                "window (good: no error, every goodput bound met).", LABELS,
                                registry=r)  # fmt: skip

    def declare(self, label_sets: Iterable[dict[str, str]]) -> None:
        """Create every target's series at zero (and one error series per class)."""
        for labels in label_sets:
            for metric in (self.ttft, self.duration, self.itl, self.requests):
                metric.labels(**labels)
            for cls in ERROR_CLASSES:
                self.errors.labels(**labels, **{"class": cls})

    def observe(self, o: Observation, compliance: float | None = None) -> None:
        labels = o.labels
        self.requests.labels(**labels).inc()
        if not o.ok:
            self.errors.labels(**labels, **{"class": o.error_class or "protocol"}).inc()
        else:
            if o.ttft_ms is not None:
                self.ttft.labels(**labels).observe(o.ttft_ms / 1000.0)
            if o.total_ms is not None:
                self.duration.labels(**labels).observe(o.total_ms / 1000.0)
                self.last_success.labels(**labels).set(o.started_s + o.total_ms / 1000.0)
            if o.itl_ms is not None:
                self.itl.labels(**labels).observe(o.itl_ms / 1000.0)
        if compliance is not None:
            self.compliance.labels(**labels).set(compliance)

    def exposition(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)


def bucket_label(bound_s: float) -> str:
    """How prometheus-client writes a bucket's ``le`` label (``2.5``, ``5.0``, ``+Inf``)."""
    from prometheus_client.utils import floatToGoString

    return floatToGoString(bound_s)


def registry_names(sink: Any) -> set[str]:
    """The metric family names ``sink`` exposes (for checks of the dashboard and the rules)."""
    return {m.name for m in sink.registry.collect()}
