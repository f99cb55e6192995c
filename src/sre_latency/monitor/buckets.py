"""Histogram boundaries for LLM APIs, in seconds (Prometheus base units).

Chosen from what these APIs do, not from HTTP-service defaults (5 ms … 10 s), which put every
streamed response past the last bucket:

- TTFT: 50 ms (a cached gateway) to 60 s (a reasoning model thinking first), dense between
  0.2 s and 3 s where Claude's first tokens arrive, with the default SLO's 2.5 s goodput bound
  as a boundary;
- request duration: 250 ms to 5 min (a long answer at 50 tokens/s), with the default 5 s
  goodput bound as a boundary;
- inter-token latency (per request, the mean gap between content deltas): 1 ms to 1 s.

Quantiles estimated by ``histogram_quantile`` are exact at a boundary and interpolated between
two: about ±10 % of the value in the dense ranges. A monitor given an SLO file (``--slo``) adds
its goodput bounds as boundaries too, so the latency SLIs of ``slo-rules`` count exactly.
"""

from __future__ import annotations

from collections.abc import Iterable

TTFT_S: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0,
                             5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 60.0)  # fmt: skip
DURATION_S: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0,
                                 45.0, 60.0, 90.0, 120.0, 180.0, 300.0)  # fmt: skip
ITL_S: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075,
                            0.1, 0.2, 0.5, 1.0)  # fmt: skip

# The per-request SLO metrics (``[goodput]``) each histogram can count exactly.
HISTOGRAM_OF_METRIC = {"ttft_ms": "ttft", "total_ms": "duration", "itl_ms": "itl"}


def with_bounds(buckets: Iterable[float], extra_s: Iterable[float]) -> tuple[float, ...]:
    """``buckets`` with ``extra_s`` added as boundaries (sorted, no duplicates)."""
    return tuple(sorted({*buckets, *(float(x) for x in extra_s)}))


def buckets_for(goodput_ms: dict[str, float]) -> dict[str, tuple[float, ...]]:
    """The three histograms' boundaries, with an SLO's goodput bounds (ms) added to each."""
    extra: dict[str, list[float]] = {"ttft": [], "duration": [], "itl": []}
    for metric, bound_ms in goodput_ms.items():
        if metric in HISTOGRAM_OF_METRIC:
            extra[HISTOGRAM_OF_METRIC[metric]].append(bound_ms / 1000.0)
    return {
        "ttft": with_bounds(TTFT_S, extra["ttft"]),
        "duration": with_bounds(DURATION_S, extra["duration"]),
        "itl": with_bounds(ITL_S, extra["itl"]),
    }
