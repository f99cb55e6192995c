"""The result models of ``compare``: what it returns and the MCP tool shows as JSON."""

from __future__ import annotations

from pydantic import BaseModel

from sre_latency.analysis.significance import FAMILY_CONFIDENCE
from sre_latency.core.conditions import Conditions


class MetricStats(BaseModel):
    metric: str
    unit: str
    n: int
    p50: float | None
    p90: float | None
    p99: float | None
    mean: float | None


class TargetInRun(BaseModel):
    run_id: str
    n: int
    ok: int
    error_rate: float | None
    metrics: list[MetricStats]


class Delta(BaseModel):
    """``value − baseline`` of one statistic, with its 95 % CI and verdict."""

    metric: str  # "ttft_ms p50", "error_rate"
    unit: str
    baseline: float | None  # in ``unit``, like value, delta and the CI
    baseline_n: int  # samples behind baseline (every request for error_rate)
    value: float | None
    n: int  # samples behind value
    delta: float | None
    delta_pct: float | None
    ci95_low: float | None
    ci95_high: float | None
    significant: bool  # tested, and the CI excludes zero
    regression: bool  # significant, worse, and beyond min_change_pct
    improvement: bool  # significant, better, and beyond min_change_pct
    tested: bool = True  # part of the family of tests (see not_tested_reason)
    not_tested_reason: str | None = None
    confidence: float | None = None  # of this interval (Bonferroni-corrected per test)


class TargetComparison(BaseModel):
    label: str
    runs: list[TargetInRun | None]  # in run order; None where the run lacks this target
    deltas: dict[str, list[Delta]]  # later run id → deltas against the first run
    labels: list[str | None] = []  # the target's label in each run (they may differ)
    models: list[str | None] = []  # the model id measured in each run
    conditions_differ: dict[str, list[str]] = {}  # later run id → what differs from baseline


class ComparedRun(BaseModel):
    run_id: str
    path: str | None
    created_at: str
    complete: bool
    valid: bool
    environment: str  # host or host/region
    n: int
    kind: str = "benchmark"
    emulated: bool = False
    conditions: Conditions | None = None


class CompareResult(BaseModel):
    baseline_run_id: str
    runs: list[ComparedRun]
    min_change_pct: float
    targets: list[TargetComparison]
    regressions: list[str]
    improvements: list[str]
    environments_differ: bool
    notes: list[str]
    summary: str
    conditions_differ: bool = False
    condition_notes: list[str] = []  # said first: what differs, and what that means for flags
    allow_different_conditions: bool = False
    family_tests: int = 0  # tests behind the flags (every one at per_test_confidence)
    family_confidence: float = FAMILY_CONFIDENCE
    per_test_confidence: float = FAMILY_CONFIDENCE
    emulated: bool = False  # any run measured the emulator
