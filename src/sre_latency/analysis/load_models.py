"""The load view's result models: rates per target (``analysis.throughput``, the one rates
function) and ``LoadReport`` (``analysis.load``)."""

from __future__ import annotations

from pydantic import BaseModel

from sre_latency.analysis.throughput import Rates

ALL = "all targets"


class TargetRates(Rates):
    """One target's rates (or all targets' together: ``label`` is ``ALL``)."""

    label: str


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
    throughput: list[TargetRates]
    send_lag_p50_ms: float | None
    send_lag_p99_ms: float | None
    late_sends: int | None
    steps: list[StepFigures]
    processes: list[ProcessSummary]
    capacity: str | None  # the capacity search's answer, with its evidence
    summary: str
