"""Grade a run against an SLO table: a letter per metric and provider, thresholds and goodput.

Everything is computed on numpy columns (``analysis.RunColumns``), so grading a million samples
costs milliseconds. A provider with no successful sample is F, never A; a metric that cannot be
computed is "not graded" with the reason; fewer than 20 samples carries a warning that p99 means
little at that n.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from sre_latency.analysis.columns import RunColumns, TargetColumns, load_run_columns
from sre_latency.analysis.context import run_conditions
from sre_latency.analysis.throughput import Requests, meets_slo, rates, requests_from_columns
from sre_latency.analysis.throughput import span_of as _span_of
from sre_latency.core.conditions import Conditions
from sre_latency.core.contract import Run
from sre_latency.core.metrics import unit_of
from sre_latency.core.slo import (
    GRADES,
    SloRule,
    SloTable,
    Threshold,
    default_table,
    load_slo_file,
    parse_threshold,
)
from sre_latency.core.stats import percentile
from sre_latency.errors import ConfigError
from sre_latency.store import RunStore

Grade = Literal["A", "B", "C", "D", "F"]
MIN_N_FOR_P99 = 20
BUFFERED = "stream buffered by the server or a proxy"
STREAM_METRICS = ("output_tps", "itl_ms")  # what a buffered stream cannot tell


class MetricGrade(BaseModel):
    metric: str  # "ttft_ms p50", "error_rate"
    value: float | None  # in ``unit``
    unit: str
    n: int
    bounds_abcd: list[float]
    higher_is_better: bool
    grade: Grade | None  # None: not graded
    not_graded_reason: str | None = None
    warning: str | None = None


class ThresholdResult(BaseModel):
    expression: str
    value: float | None  # in ``unit``
    unit: str
    n: int  # samples the value was computed from (all requests for error_rate)
    passed: bool
    reason: str | None = None  # why it could not be evaluated (counts as failed)


class Goodput(BaseModel):
    """Share of all requests (errors included) that met every per-request SLO."""

    slo: dict[str, float]  # metric → bound: ≤ for times, ≥ for output_tps
    n: int
    good: int
    goodput: float | None = Field(description="good / n, a fraction 0..1; null with no requests")
    met_by_slo: dict[str, float] = Field(
        description="metric → fraction 0..1 of all requests meeting that SLO alone"
    )
    goodput_per_s: float | None = Field(
        None, description="good requests per second over the run's span (analysis.throughput)"
    )


class ProviderGrade(BaseModel):
    label: str
    provider: str
    model: str
    n: int
    ok: int
    grade: Grade | None
    grade_reason: str
    metrics: list[MetricGrade]
    thresholds: list[ThresholdResult]
    goodput: Goodput
    warnings: list[str] = Field(default_factory=list)


class GradeResult(BaseModel):
    run_id: str
    run_path: str | None
    complete: bool
    valid: bool
    notes: list[str]
    slo_source: str
    grade: Grade | None  # the worst provider grade
    providers: list[ProviderGrade]
    thresholds_passed: bool
    fail_below: Grade | None = None
    gate_failed: bool = False
    summary: str
    emulated: bool = False
    conditions: Conditions | None = None


def _metric_value(
    target: TargetColumns, rule_metric: str, stat: str | None
) -> tuple[float | None, int]:
    if stat is None:  # error_rate
        return (target.n_errors / target.n if target.n else None), target.n
    values = target.sorted_ok(rule_metric)
    return percentile(values, stat, presorted=True), int(values.size)


def _grade_metric(target: TargetColumns, rule: SloRule) -> MetricGrade:
    value, n = _metric_value(target, rule.metric, rule.stat)
    reason = None
    buffered = target.n_buffered if rule.metric in STREAM_METRICS else 0
    if value is None:
        reason = (
            "no requests"
            if target.n == 0
            else "no successful sample"
            if target.n_ok == 0
            else f"{BUFFERED} (n={buffered}): no {rule.metric} to grade"
            if buffered
            else f"no successful sample carries {rule.metric}"
        )
    warning = None
    if (
        rule.stat
        and rule.stat.startswith("p")
        and float(rule.stat[1:]) >= 90
        and 0 < n < MIN_N_FOR_P99
    ):
        warning = f"{rule.stat} is not meaningful at n={n}"
    if value is not None and buffered:
        warning = f"{buffered} of {target.n_ok} samples left out: {BUFFERED}"
    return MetricGrade(
        metric=rule.name,
        value=value,
        unit=unit_of(rule.metric),
        n=n,
        bounds_abcd=list(rule.bounds),
        higher_is_better=rule.higher_is_better,
        grade=None if value is None else rule.grade(value),  # type: ignore[arg-type]
        not_graded_reason=reason,
        warning=warning,
    )


def _goodput(
    target: TargetColumns, slo: dict[str, float], span: tuple[float, float] | None = None
) -> Goodput:
    good, each = meets_slo(target.metrics, target.ok, slo)  # a missing value does not meet it
    n_good = int(good.sum())
    per_s = rates(requests_from_columns(target, slo), span).goodput_per_s if span else None
    return Goodput(
        slo=slo,
        n=target.n,
        good=n_good,
        goodput=n_good / target.n if target.n else None,
        met_by_slo={m: float(v.mean()) if target.n else 0.0 for m, v in each.items()},
        goodput_per_s=per_s,
    )


def run_span(cols: RunColumns) -> tuple[float, float] | None:
    """The run's span (first start to last end) over every target, for rates."""
    return _span_of(Requests.join(requests_from_columns(t) for t in cols.targets.values()))


def _threshold(target: TargetColumns, t: Threshold) -> ThresholdResult:
    value, n = _metric_value(target, t.metric, t.stat)
    figure = {"expression": t.expression, "value": value, "unit": unit_of(t.metric), "n": n}
    if value is None:
        return ThresholdResult(**figure, passed=False, reason="cannot be computed: no data")
    return ThresholdResult(**figure, passed=t.passes(value))


def _worst(grades: list[str | None]) -> str | None:
    graded = [g for g in grades if g is not None]
    return max(graded, key=GRADES.index) if graded else None


def grade_target(
    target: TargetColumns, table: SloTable, span: tuple[float, float] | None = None
) -> ProviderGrade:
    metrics = [_grade_metric(target, r) for r in table.rules]
    warnings = []
    if 0 < target.n_ok < MIN_N_FOR_P99:
        warnings.append(
            f"p99 is not meaningful at n={target.n_ok}; measure at least {MIN_N_FOR_P99} "
            "(better 100) requests"
        )
    if target.n_ok == 0:
        grade, reason = "F", "no successful sample" if target.n else "no requests"
    else:
        grade = _worst([m.grade for m in metrics])
        worst = [m.metric for m in metrics if m.grade == grade]
        reason = f"worst: {', '.join(worst)}" if grade else "no metric could be graded"
    return ProviderGrade(
        label=target.label,
        provider=target.provider,
        model=target.model,
        n=target.n,
        ok=target.n_ok,
        grade=grade,  # type: ignore[arg-type]
        grade_reason=reason,
        metrics=metrics,
        thresholds=[_threshold(target, t) for t in table.thresholds],
        goodput=_goodput(target, table.goodput, span),
        warnings=warnings,
    )


def _summary(
    run: RunColumns, overall: str | None, providers: list[ProviderGrade], gate: str
) -> str:
    parts = [f"{p.label} {p.grade or 'not graded'}" for p in providers]
    head = f"Grade {overall or 'not graded'} overall ({', '.join(parts)})"
    n_good = sum(p.goodput.good for p in providers)
    n_all = sum(p.goodput.n for p in providers)
    if n_all:
        head += f"; goodput {100 * n_good / n_all:.1f} % of {n_all} requests"
    checks = [t for p in providers for t in p.thresholds]
    if checks:
        head += f"; {sum(t.passed for t in checks)}/{len(checks)} thresholds passed"
    if not run.complete:
        head += "; run incomplete"
    if not run.valid:
        head += "; run NOT VALID (the measuring client was saturated)"
    return head + gate + "."


def grade(
    run: str | Path | Run | RunColumns | None = None,
    slo: SloTable | str | Path | None = None,
    thresholds: list[str] | None = None,
    fail_below: str | None = None,
    store: RunStore | None = None,
) -> GradeResult:
    """Grade ``run`` (id, file name, path, Run or columns; None = latest) against an SLO table."""
    if fail_below is not None and fail_below.upper() not in GRADES:
        raise ConfigError(f"--fail-below must be one of {', '.join(GRADES)}, got {fail_below!r}.")
    table = slo if isinstance(slo, SloTable) else load_slo_file(slo) if slo else default_table()
    extra = tuple(parse_threshold(t, "--threshold") for t in thresholds or ())
    if extra:
        table = SloTable(table.rules, table.goodput, table.thresholds + extra, table.source)
    cols = load_run_columns(run, store)
    if not cols.targets:
        raise ConfigError(f"run {cols.run_id} has no targets to grade.")
    span = run_span(cols)
    providers = [grade_target(t, table, span) for t in cols.targets.values()]
    overall = _worst([p.grade for p in providers])
    limit = fail_below.upper() if fail_below else None
    gate_failed = False
    gate = ""
    if limit:
        below = [
            p.label
            for p in providers
            if p.grade is None or GRADES.index(p.grade) > GRADES.index(limit)
        ]
        gate_failed = bool(below)
        gate = f"; below {limit}: {', '.join(below)}" if below else f"; all at {limit} or better"
    notes = cols.notes("run is incomplete: it did not finish, grades cover the finished samples")
    conditions = run_conditions(cols)
    passed = all(t.passed for p in providers for t in p.thresholds)
    return GradeResult(
        run_id=cols.run_id,
        run_path=cols.path,
        complete=cols.complete,
        valid=cols.valid,
        notes=notes,
        slo_source=table.source,
        grade=overall,  # type: ignore[arg-type]
        providers=providers,
        thresholds_passed=passed,
        fail_below=limit,  # type: ignore[arg-type]
        gate_failed=gate_failed,
        summary=("EMULATED: " if conditions.emulated else "")
        + _summary(cols, overall, providers, gate),
        emulated=conditions.emulated,
        conditions=conditions,
    )
