"""The one table of metrics: every figure a run carries, its unit, its direction, its name in a
sentence, and where it is used (summaries, grades, paired comparisons, reports).

Every other list of metrics in the package is derived from ``METRICS``; a new metric is one row
here (and its field in ``contract.Sample``/``Summary``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str  # the field name, unit included: "ttft_ms"
    unit: str  # "ms", "tok/s", "tokens" or "fraction"
    sentence: str  # how a sentence names it: "TTFT"
    higher_is_better: bool = False
    timing: bool = False  # a per-request time, summarised as a distribution
    per_request: bool = True  # a value per sample (error_rate is not)
    summary: bool = True  # has a distribution in ``Summary``
    paired: bool = False  # compared between the targets of one run (paired by round)


METRICS: tuple[Metric, ...] = (
    Metric("ttfb_ms", "ms", "TTFB", timing=True, paired=True),
    Metric("ttft_ms", "ms", "TTFT", timing=True, paired=True),
    Metric("ttfr_ms", "ms", "time to first reasoning token", timing=True),
    Metric("generation_ms", "ms", "generation time", timing=True),
    Metric("total_ms", "ms", "total time", timing=True, paired=True),
    Metric("request_sent_ms", "ms", "request sent", timing=True),
    Metric("dns_ms", "ms", "DNS lookup", timing=True),
    Metric("connect_ms", "ms", "TCP connect", timing=True),
    Metric("tls_ms", "ms", "TLS handshake", timing=True),
    Metric("server_latency_ms", "ms", "server latency", timing=True, paired=True),
    Metric("server_ttft_ms", "ms", "server TTFT", timing=True, paired=True),
    Metric("network_overhead_ms", "ms", "network overhead", timing=True, paired=True),
    Metric("output_tps", "tok/s", "output tokens/s", higher_is_better=True),
    Metric("itl_ms", "ms", "inter-token latency"),  # per request: the mean gap
    Metric("output_tokens", "tokens", "output tokens", summary=False),
    Metric("input_tokens", "tokens", "input tokens", summary=False),
    Metric("error_rate", "fraction", "error rate", per_request=False, summary=False),
)
BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}

TIMING_FIELDS: tuple[str, ...] = tuple(m.name for m in METRICS if m.timing)
SUMMARY_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.summary)
SAMPLE_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.per_request)
PAIRED_METRICS: tuple[str, ...] = ("ttft_ms", "total_ms", "ttfb_ms", "server_latency_ms",
                                   "server_ttft_ms", "network_overhead_ms")  # fmt: skip
RATE_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if not m.per_request)
GRADED_METRICS: tuple[str, ...] = (*SUMMARY_METRICS, *RATE_METRICS)
PER_REQUEST_SLO_METRICS: tuple[str, ...] = (
    SUMMARY_METRICS  # what a per-request (goodput) SLO may bound
)
HIGHER_IS_BETTER = frozenset(m.name for m in METRICS if m.higher_is_better)
HEADLINE_METRICS: tuple[str, ...] = ("ttft_ms", "total_ms", "output_tps")  # tables, compare
assert set(PAIRED_METRICS) == {m.name for m in METRICS if m.paired}


def unit_of(metric: str) -> str:
    m = BY_NAME.get(metric)
    return m.unit if m is not None else "ms"


def sentence_name(metric: str) -> str:
    m = BY_NAME.get(metric)
    return m.sentence if m is not None else metric
