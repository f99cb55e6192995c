"""The load view's result models (no numpy: the MCP server lists their schemas at start-up).

``Throughput`` rows come from ``analysis.throughput``; ``LoadReport`` from ``analysis.load``.
"""

from __future__ import annotations

from pydantic import BaseModel

ALL = "all targets"


class Throughput(BaseModel):
    """What one target (or all of them together) got through per second."""

    label: str
    n: int
    good: int
    span_s: float | None
    request_rate_per_s: float | None
    output_tokens_per_s: float | None
    goodput_per_s: float | None
    good_share: float | None  # good / n


class StepFigures(BaseModel):
    """One target in one step: the load offered and what it got."""

    step: int
    label: str  # "8 req/s" or "concurrency 16"
    target: str
    loop: str
    offered_rate_per_s: float | None  # per target (open loop)
    concurrency: int | None
    n: int
    ok: int
    error_rate: float | None
    errors_by_class: dict[str, int]
    achieved_rate_per_s: float | None  # requests started per second in the step
    ttft_n: int
    ttft_p50_ms: float | None
    ttft_p99_ms: float | None
    goodput_per_s: float | None
    output_tokens_per_s: float | None
    send_lag_p99_ms: float | None
    verdict: str | None = None


class ProcessSummary(BaseModel):
    name: str
    samples: int
    cpu_pct_mean: float | None
    cpu_pct_max: float | None
    rss_max_bytes: int | None
    threads_max: int | None
    open_fds_max: int | None


class LoadReport(BaseModel):
    open_loop: bool
    offered_rate_per_s: float | None  # per target, when the run had one rate
    arrival: str | None
    window_s: float | None
    windows: int
    throughput: list[Throughput]
    send_lag_p50_ms: float | None
    send_lag_p99_ms: float | None
    late_sends: int | None
    steps: list[StepFigures]
    processes: list[ProcessSummary]
    capacity: str | None  # the capacity search's answer, with its evidence
    summary: str
