"""The analysis a team lead reads: status, per-target figures, errors, load, consistency, advice.

``build_report`` turns run columns into a ``ReportResult`` (vectorised; a million samples take
well under a second); ``report`` loads a run, builds it and optionally writes it as Markdown,
HTML (self-contained, with matplotlib plots), JSON or CSV. Every recommendation cites the figure
that triggered it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from sre_latency.analysis.columns import RunColumns, TargetColumns
from sre_latency.analysis.context import run_conditions
from sre_latency.analysis.grade import BUFFERED, STREAM_METRICS, grade_target
from sre_latency.analysis.load import load_report
from sre_latency.analysis.report.findings import main_finding, sentence_start, status, tiers
from sre_latency.analysis.report.models import (
    Consistency,
    ErrorClassReport,
    MetricFigures,
    ReportResult,
    TargetReport,
)
from sre_latency.analysis.report.rates import over_time, run_rates
from sre_latency.core.conditions import endpoint_host
from sre_latency.core.metrics import HEADLINE_METRICS
from sre_latency.core.redact import redact
from sre_latency.core.slo import GRADES, SloTable, default_table
from sre_latency.core.stats import percentile
from sre_latency.errors import ERROR_CLASSES, ConfigError

__all__ = ["FORMATS", "ReportResult", "build_report", "render"]

ReportFormat = Literal["md", "html", "json", "csv"]
FORMATS: tuple[str, ...] = ("md", "html", "json", "csv")
TABLE_METRICS = HEADLINE_METRICS


def _figures(t: TargetColumns, metric: str) -> MetricFigures:
    v = t.sorted_ok(metric)
    unit = "tok/s" if metric == "output_tps" else "ms"
    note = None
    if metric in STREAM_METRICS and t.n_buffered:
        left = "" if v.size == 0 else f"; {t.n_buffered} of {t.n_ok} samples left out"
        note = f"{BUFFERED} (n={t.n_buffered}){left}"
    return MetricFigures(
        metric=metric,
        unit=unit,
        n=int(v.size),
        **{s: percentile(v, s, presorted=True) for s in ("mean", "sd", "p50", "p90", "p99")},
        note=note,
    )


def _errors(cols: RunColumns) -> list[ErrorClassReport]:
    """Failures by class, with one example message per target and the host it came from."""
    total = cols.n
    out = []
    for code, name in enumerate(ERROR_CLASSES):
        by_target = {
            t.label: int(k) for t in cols.targets.values() if (k := (t.error_code == code).sum())
        }
        if not by_target:
            continue
        examples = []
        for label in by_target:
            t = cols.targets[label]
            first = int(np.flatnonzero(t.error_code == code)[0])
            msg = redact(t.error_messages.get(first, "")) or "(no message)"
            examples.append(f"{label} ({endpoint_host(t.endpoint)}): {msg}")
        count = sum(by_target.values())
        out.append(
            ErrorClassReport(
                error_class=name,
                count=count,
                share_of_requests=count / total if total else 0.0,
                by_target=by_target,
                examples=examples,
            )
        )
    return sorted(out, key=lambda e: -e.count)


def _ratio(v: np.ndarray) -> float | None:
    p50, p99 = percentile(v, "p50", True), percentile(v, "p99", True)
    return p99 / p50 if p50 and p99 is not None else None


def _consistency(t: TargetColumns) -> Consistency:
    ttft, total = t.sorted_ok("ttft_ms"), t.sorted_ok("total_ms")
    ratio = _ratio(ttft)
    verdict = (
        "no data" if ratio is None else "steady" if ratio <= 2 else "variable" if ratio <= 4
        else "erratic"
    )  # fmt: skip
    return Consistency(
        label=t.label,
        ttft_sd_ms=percentile(ttft, "sd", True),
        ttft_p99_over_p50=ratio,
        total_sd_ms=percentile(total, "sd", True),
        total_p99_over_p50=_ratio(total),
        verdict=verdict,
    )


def build_report(cols: RunColumns, slo: SloTable | None = None) -> ReportResult:
    """The report of one run's columns (no I/O)."""
    from sre_latency.analysis.report.advice import recommendations

    table = slo or default_table()
    overall_rates, per_target, everything = run_rates(cols, table.goodput)
    targets = [_target(t, table, per_target[t.label]) for t in cols.targets.values()]
    errors = _errors(cols)
    consistency = [_consistency(t) for t in cols.targets.values()]
    n, ok = cols.n, sum(t.ok for t in targets)
    error_rate = (n - ok) / n if n else None
    state = status(targets, error_rate)
    graded = [t.grade for t in targets if t.grade]
    overall = max(graded, key=GRADES.index) if graded else None
    conditions = run_conditions(cols)
    status_line = (
        ("EMULATED run · " if conditions.emulated else "")
        + f"{state.upper()}: {len(targets)} target(s), {n} request{'s' if n != 1 else ''}, error rate "
        f"{100 * (error_rate or 0):.1f} %, grade {overall or 'not graded'}"
        + ("" if cols.complete else ", run INCOMPLETE")
        + ("" if cols.valid else ", run INVALID (client saturated)")
    )
    finding = main_finding(cols, targets, errors)
    notes = cols.notes("run is incomplete: it did not finish; figures cover finished samples")
    return ReportResult(
        run_id=cols.run_id, run_path=cols.path, kind=cols.kind,
        created_at=cols.created_at.isoformat(), complete=cols.complete, valid=cols.valid,
        environment=cols.environment_label, notes=notes, status=state,  # type: ignore[arg-type]
        status_line=status_line, n=n, ok=ok, error_rate=error_rate, main_finding=finding,
        grade=overall, targets=targets, errors=errors, throughput=over_time(everything),
        consistency=consistency, tiers=tiers(targets, table),
        recommendations=recommendations(cols, targets, errors, consistency),
        summary=f"{status_line}. {sentence_start(finding, set(cols.targets))}",
        emulated=conditions.emulated, conditions=conditions, rates=overall_rates,
        goodput_slo=dict(table.goodput), load=load_report(cols, table.goodput),
    )  # fmt: skip


def _target(t: TargetColumns, table: SloTable, rates) -> TargetReport:
    g = grade_target(t, table)
    return TargetReport(
        label=t.label,
        provider=t.provider,
        model=t.model,
        n=t.n,
        ok=t.n_ok,
        success_rate=t.n_ok / t.n if t.n else None,
        grade=g.grade,
        metrics=[_figures(t, m) for m in TABLE_METRICS],
        endpoint_host=endpoint_host(t.endpoint),
        rates=rates,
        buffered=t.n_buffered,
    )


def render(result: ReportResult, cols: RunColumns, fmt: str) -> str:
    """The report as a document in ``fmt`` (md, html, json or csv)."""
    if fmt == "json":
        return result.model_dump_json(indent=2)
    if fmt == "md":
        from sre_latency.analysis.report.text import markdown

        return markdown(result)
    if fmt == "csv":
        from sre_latency.analysis.report.text import csv_table

        return csv_table(result, cols)
    if fmt == "html":
        from sre_latency.analysis.report.html import html

        return html(result, cols)
    raise ConfigError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}.")
