"""The report's result model: what ``report`` returns and the MCP tool shows as JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr

from sre_latency.analysis.load_models import LoadReport
from sre_latency.analysis.throughput import Rates
from sre_latency.core.conditions import Conditions


class MetricFigures(BaseModel):
    metric: str
    unit: str
    n: int
    mean: float | None
    sd: float | None
    p50: float | None
    p90: float | None
    p99: float | None
    note: str | None = None  # why a figure is missing or partial ("stream buffered by …")


class TargetReport(BaseModel):
    label: str
    provider: str
    model: str
    n: int
    ok: int
    success_rate: float | None
    grade: str | None
    metrics: list[MetricFigures]
    endpoint_host: str = ""
    rates: Rates | None = None  # over the run's span, so targets add up to the run
    buffered: int = 0  # successful samples whose stream a server or proxy buffered


class ErrorClassReport(BaseModel):
    error_class: str
    count: int
    share_of_requests: float
    by_target: dict[str, int]
    examples: list[str]  # one per target: "label (host): message", secrets redacted


class ThroughputWindow(BaseModel):
    start_s: float  # seconds after the first request started
    span_s: float  # the part of the window the run covered (the last one may be partial)
    requests: int  # started in the window
    errors: int
    requests_per_s: float | None  # over span_s (analysis.throughput.rates)
    output_tokens_per_s: float | None
    full: bool  # false for the last window when the run ended inside it


class ThroughputOverTime(BaseModel):
    duration_s: float  # first request's start to last request's end
    window_s: float
    windows: list[ThroughputWindow]
    mean_requests_per_s: float | None  # the run's rate: every request over duration_s
    peak_requests_per_s: float | None  # the busiest full window (the only window if none is)
    peak_window_start_s: float | None


class Consistency(BaseModel):
    label: str
    ttft_sd_ms: float | None
    ttft_p99_over_p50: float | None
    total_sd_ms: float | None
    total_p99_over_p50: float | None
    verdict: str  # steady / variable / erratic / no data


class Tier(BaseModel):
    tier: str
    criterion: str
    targets: list[str]


class Recommendation(BaseModel):
    text: str
    evidence: str  # the figure that triggered it


class ReportResult(BaseModel):
    run_id: str
    run_path: str | None
    kind: str
    created_at: str
    complete: bool
    valid: bool
    environment: str
    notes: list[str]
    status: Literal["healthy", "degraded", "failing"]
    status_line: str
    n: int
    ok: int
    error_rate: float | None
    main_finding: str
    grade: str | None
    targets: list[TargetReport]
    errors: list[ErrorClassReport]
    throughput: ThroughputOverTime
    consistency: list[Consistency]
    tiers: list[Tier]
    recommendations: list[Recommendation]
    output_path: str | None = None
    output_format: str = "json"
    summary: str = Field(description="one sentence: the status line and the main finding")
    load: LoadReport | None = None  # throughput, send lag, steps, watched processes
    emulated: bool = Field(False, description="measured against the built-in emulator")
    conditions: Conditions | None = None
    rates: Rates | None = Field(None, description="requests, output tokens and goodput per s")
    goodput_slo: dict[str, float] = Field(default_factory=dict)
    _document: str | None = PrivateAttr(default=None)  # the rendered report, when not written
