"""The monitor's instruments pushed over OTLP/HTTP with the OpenTelemetry SDK.

Semantic-convention names where they exist (the GenAI client metrics), ``sre_latency.*`` for
the rest; attributes ``gen_ai.provider.name`` (``anthropic``, ``aws.bedrock``, ``openai``),
``gen_ai.request.model``, ``gen_ai.operation.name`` = ``chat``, ``error.type`` on failures and
``sre_latency.target``. The place the monitor probes from is a *resource* attribute
(``sre_latency.location``, with ``host.name``, ``service.name`` = ``sre-latency``):

    gen_ai.client.operation.duration            histogram, s  (errors too, with error.type)
    gen_ai.client.operation.time_to_first_chunk histogram, s  (successful requests)
    gen_ai.client.operation.time_per_output_chunk histogram, s (a request's mean token gap)
    gen_ai.client.token.usage                   histogram, {token}, gen_ai.token.type
    sre_latency.requests / sre_latency.errors   counters, {request}
    sre_latency.last_success.time               gauge, s (Unix time)
    sre_latency.slo.compliance                  gauge, 1 (good / all, rolling window)

The SDK exports in the background every ``interval_s`` and once more at ``close()``; a
collector that is down costs a logged warning, never the monitor.
"""

from __future__ import annotations

from typing import Any

from sre_latency.core.version import __version__
from sre_latency.errors import ConfigError
from sre_latency.monitor.buckets import buckets_for
from sre_latency.monitor.observation import PROVIDER_SEMCONV, Observation

INSTALL = "pip install 'sre-latency[otlp]'"


def metrics_url(endpoint: str) -> str:
    """``http://collector:4318`` → ``…/v1/metrics`` (a URL already ending so is kept)."""
    if not endpoint.startswith(("http://", "https://")):
        raise ConfigError(f"--otlp-endpoint takes an http(s) URL such as http://127.0.0.1:4318, "
                          f"not {endpoint!r:.80}.")  # fmt: skip
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/metrics") else endpoint + "/v1/metrics"


def _sdk() -> Any:
    try:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk import metrics, resources
        from opentelemetry.sdk.metrics import export, view
    except ImportError:
        raise ConfigError(f"--otlp-endpoint needs the OpenTelemetry SDK: {INSTALL}.") from None
    return OTLPMetricExporter, metrics, resources, export, view


class OtlpSink:
    def __init__(self, endpoint: str, location: str, host: str, interval_s: float,
                 goodput_ms: dict[str, float] | None = None):  # fmt: skip
        exporter_class, metrics, resources, export, view = _sdk()
        b = buckets_for(goodput_ms or {})
        resource = resources.Resource.create({
            "service.name": "sre-latency", "service.version": __version__,
            "host.name": host, "sre_latency.location": location,
        })  # fmt: skip
        views = [
            view.View(instrument_name=name, aggregation=view.ExplicitBucketHistogramAggregation(
                b[key]))
            for name, key in (("gen_ai.client.operation.duration", "duration"),
                              ("gen_ai.client.operation.time_to_first_chunk", "ttft"),
                              ("gen_ai.client.operation.time_per_output_chunk", "itl"))
        ]  # fmt: skip
        self.reader = export.PeriodicExportingMetricReader(
            exporter_class(endpoint=metrics_url(endpoint), timeout=10),
            export_interval_millis=max(1.0, interval_s) * 1000,
        )
        self.provider = metrics.MeterProvider(resource=resource, metric_readers=[self.reader],
                                              views=views)  # fmt: skip
        m = self.provider.get_meter("sre_latency.monitor", __version__)
        self.duration = m.create_histogram("gen_ai.client.operation.duration", "s",
                                           "GenAI operation duration.")  # fmt: skip
        self.ttft = m.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk",
            "s",
            "Time to receive the first chunk of the response stream.",
        )
        self.itl = m.create_histogram("gen_ai.client.operation.time_per_output_chunk", "s",
                                      "Mean time per output chunk of one request.")  # fmt: skip
        self.tokens = m.create_histogram("gen_ai.client.token.usage", "{token}",
                                         "Input and output tokens used.")  # fmt: skip
        self.requests = m.create_counter(
            "sre_latency.requests", "{request}", "Requests the monitor finished, ok or not."
        )
        self.errors = m.create_counter(
            "sre_latency.errors", "{request}", "Failed requests by error class."
        )
        self.last_success = m.create_gauge(
            "sre_latency.last_success.time", "s", "End of the last successful request, Unix time."
        )
        self.compliance = m.create_gauge(
            "sre_latency.slo.compliance", "1", "Good requests / all over the rolling window."
        )

    def observe(self, o: Observation, compliance: float | None = None) -> None:
        attrs = {"gen_ai.operation.name": "chat",
                 "gen_ai.provider.name": PROVIDER_SEMCONV.get(o.provider, o.provider),
                 "gen_ai.request.model": o.model, "sre_latency.target": o.target}  # fmt: skip
        failed = {**attrs, "error.type": o.error_class or "protocol"} if not o.ok else attrs
        self.requests.add(1, attrs)
        if o.total_ms is not None:
            self.duration.record(o.total_ms / 1000.0, failed)
        if not o.ok:
            self.errors.add(1, failed)
        else:
            if o.ttft_ms is not None:
                self.ttft.record(o.ttft_ms / 1000.0, attrs)
            if o.itl_ms is not None:
                self.itl.record(o.itl_ms / 1000.0, attrs)
            if o.total_ms is not None:
                self.last_success.set(o.started_s + o.total_ms / 1000.0, attrs)
        for kind, count in (("input", o.input_tokens), ("output", o.output_tokens)):
            if count is not None:
                self.tokens.record(count, {**attrs, "gen_ai.token.type": kind})
        if compliance is not None:
            self.compliance.set(compliance, attrs)

    def close(self, timeout_s: float = 10.0) -> None:
        """Push what is left, then stop the exporter thread."""
        self.provider.force_flush(timeout_millis=int(timeout_s * 1000))
        self.provider.shutdown(timeout_millis=int(timeout_s * 1000))
