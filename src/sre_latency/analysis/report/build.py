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
from sre_latency.analysis.grade import grade_target
from sre_latency.analysis.load import load_report
from sre_latency.analysis.report.advice import fastest_and_slowest, ttft_p50_gap_ci
from sre_latency.analysis.report.models import (
    Consistency,
    ErrorClassReport,
    MetricFigures,
    ReportResult,
    TargetReport,
    ThroughputOverTime,
    ThroughputWindow,
    Tier,
)
from sre_latency.core.metrics import HEADLINE_METRICS
from sre_latency.core.redact import redact
from sre_latency.core.slo import GRADES, SloTable, default_table
from sre_latency.core.stats import percentile
from sre_latency.errors import ERROR_CLASSES, ConfigError

__all__ = ["FORMATS", "ReportResult", "build_report", "render"]

ReportFormat = Literal["md", "html", "json", "csv"]
FORMATS: tuple[str, ...] = ("md", "html", "json", "csv")
TABLE_METRICS = HEADLINE_METRICS
TIERS = ("excellent", "good", "fair", "poor", "unacceptable")
_WINDOWS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


def _figures(t: TargetColumns, metric: str) -> MetricFigures:
    v = t.sorted_ok(metric)
    unit = "tok/s" if metric == "output_tps" else "ms"
    return MetricFigures(
        metric=metric,
        unit=unit,
        n=int(v.size),
        **{s: percentile(v, s, presorted=True) for s in ("mean", "sd", "p50", "p90", "p99")},
    )


def _errors(cols: RunColumns) -> list[ErrorClassReport]:
    total = cols.n
    out = []
    for code, name in enumerate(ERROR_CLASSES):
        by_target = {
            t.label: int(k) for t in cols.targets.values() if (k := (t.error_code == code).sum())
        }
        if not by_target:
            continue
        examples: list[str] = []
        for t in cols.targets.values():
            for i in np.flatnonzero(t.error_code == code)[:200]:  # enough to find 3 distinct
                msg = redact(t.error_messages.get(int(i), "")) or "(no message)"
                if f"{t.label}: {msg}" not in examples:
                    examples.append(f"{t.label}: {msg}")
                if len(examples) >= 3:
                    break
            if len(examples) >= 3:
                break
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


def _throughput(cols: RunColumns) -> ThroughputOverTime:
    starts = [t.started_s for t in cols.targets.values() if t.n]
    if not starts:
        return ThroughputOverTime(
            duration_s=0.0, window_s=60.0, windows=[], mean_requests_per_min=None,
            peak_requests_per_min=None, peak_window_start_s=None,
        )  # fmt: skip
    t_all = np.concatenate(starts)
    failed = np.concatenate([~t.ok for t in cols.targets.values() if t.n])
    t0 = float(t_all.min())
    duration = float(t_all.max()) - t0
    window = next((w for w in _WINDOWS_S if duration / w <= 60), _WINDOWS_S[-1])
    idx = ((t_all - t0) // window).astype(np.int64)
    counts = np.bincount(idx)
    errs = np.bincount(idx, weights=failed.astype(float), minlength=counts.size)
    per_min = counts * (60.0 / window)
    n_full = int(duration // window)  # windows that end before the last request started
    windows = [
        ThroughputWindow(
            start_s=float(i * window), requests=int(c), errors=int(e), requests_per_min=float(r),
            full=i < n_full,
        )
        for i, (c, e, r) in enumerate(zip(counts, errs, per_min, strict=True))
    ]  # fmt: skip
    mean_rpm = (t_all.size - 1) / duration * 60.0 if duration > 0 else None
    if n_full:
        peak = int(per_min[:n_full].argmax())
        peak_rpm, peak_start = float(per_min[peak]), float(peak * window)
    else:
        peak_rpm, peak_start = mean_rpm, 0.0 if mean_rpm is not None else None
    return ThroughputOverTime(
        duration_s=duration,
        window_s=float(window),
        windows=windows,
        mean_requests_per_min=mean_rpm,
        peak_requests_per_min=peak_rpm,
        peak_window_start_s=peak_start,
    )


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


def _tiers(targets: list[TargetReport], table: SloTable) -> list[Tier]:
    row = next(
        (r for r in table.rules if r.metric == "ttft_ms" and r.stat == "p50"),
        default_table().rules[0],
    )
    groups: dict[str, list[str]] = {}
    for t in targets:
        p50 = t.metrics[0].p50
        tier = "unavailable" if p50 is None else TIERS[GRADES.index(row.grade(p50))]
        groups.setdefault(tier, []).append(f"{t.label} ({p50:.0f} ms)" if p50 else t.label)
    a, b, c, d = (f"{x:g}" for x in row.bounds)
    criteria = {
        "excellent": f"TTFT p50 ≤ {a} ms", "good": f"≤ {b} ms", "fair": f"≤ {c} ms",
        "poor": f"≤ {d} ms", "unacceptable": f"> {d} ms", "unavailable": "no successful sample",
    }  # fmt: skip
    order = [*TIERS, "unavailable"]
    return [Tier(tier=k, criterion=criteria[k], targets=groups[k]) for k in order if k in groups]


def _main_finding(cols: RunColumns, targets: list[TargetReport], errors) -> str:
    dead = [t for t in targets if t.n and not t.ok]
    if dead:
        t = dead[0]
        cls = next((e.error_class for e in errors if t.label in e.by_target), "unknown")
        return f"{t.label} failed every one of its {t.n} requests (mostly {cls} errors)."
    n, n_err = cols.n, sum(e.count for e in errors)
    if n and n_err / n >= 0.05:
        e = errors[0]
        worst = max(e.by_target, key=e.by_target.get)
        return (
            f"{100 * n_err / n:.1f} % of requests failed, mostly {e.error_class} "
            f"({e.count}, most on {worst})."
        )
    extremes = fastest_and_slowest(targets)
    if extremes:
        fast, slow = extremes
        ci = ttft_p50_gap_ci(cols, fast, slow)
        if ci and ci[1] > 0:
            return (
                f"{fast.label} reaches the first token fastest (TTFT p50 "
                f"{fast.metrics[0].p50:.0f} ms), {ci[0]:.0f} ms [95 % CI {ci[1]:.0f}, "
                f"{ci[2]:.0f}] sooner than {slow.label} ({slow.metrics[0].p50:.0f} ms)."
            )
        return (
            f"no target is reliably faster to the first token: TTFT p50 ranges "
            f"{fast.metrics[0].p50:.0f}–{slow.metrics[0].p50:.0f} ms and the CI of the "
            "difference includes zero."
        )
    t = next((t for t in targets if t.metrics[0].p50 is not None), None)
    if t is not None:
        return (
            f"{t.label} answers with TTFT p50 {t.metrics[0].p50:.0f} ms and p99 "
            f"{t.metrics[0].p99:.0f} ms over {t.metrics[0].n} requests (grade {t.grade})."
        )
    return "no request succeeded."


def _status(targets: list[TargetReport], error_rate: float | None) -> str:
    grades = [t.grade for t in targets]
    rate = error_rate or 0.0
    if "F" in grades or rate > 0.10 or any(t.n and not t.ok for t in targets):
        return "failing"
    if any(g in ("C", "D") for g in grades) or rate > 0.01:
        return "degraded"
    return "healthy"


def build_report(cols: RunColumns, slo: SloTable | None = None) -> ReportResult:
    """The report of one run's columns (no I/O)."""
    from sre_latency.analysis.report.advice import recommendations

    table = slo or default_table()
    targets = []
    for t in cols.targets.values():
        g = grade_target(t, table)
        targets.append(
            TargetReport(
                label=t.label,
                provider=t.provider,
                model=t.model,
                n=t.n,
                ok=t.n_ok,
                success_rate=t.n_ok / t.n if t.n else None,
                grade=g.grade,
                metrics=[_figures(t, m) for m in TABLE_METRICS],
            )
        )
    errors = _errors(cols)
    consistency = [_consistency(t) for t in cols.targets.values()]
    n, ok = cols.n, sum(t.ok for t in targets)
    error_rate = (n - ok) / n if n else None
    status = _status(targets, error_rate)
    graded = [t.grade for t in targets if t.grade]
    overall = max(graded, key=GRADES.index) if graded else None
    status_line = (
        f"{status.upper()}: {len(targets)} target(s), {n} requests, error rate "
        f"{100 * (error_rate or 0):.1f} %, grade {overall or 'not graded'}"
        + ("" if cols.complete else ", run INCOMPLETE")
        + ("" if cols.valid else ", run INVALID (client saturated)")
    )
    finding = _main_finding(cols, targets, errors)
    notes = cols.notes("run is incomplete: it did not finish; figures cover finished samples")
    return ReportResult(
        run_id=cols.run_id,
        run_path=cols.path,
        kind=cols.kind,
        created_at=cols.created_at.isoformat(),
        complete=cols.complete,
        valid=cols.valid,
        environment=cols.environment_label,
        notes=notes,
        status=status,  # type: ignore[arg-type]
        status_line=status_line,
        n=n,
        ok=ok,
        error_rate=error_rate,
        main_finding=finding,
        grade=overall,
        targets=targets,
        errors=errors,
        throughput=_throughput(cols),
        consistency=consistency,
        tiers=_tiers(targets, table),
        recommendations=recommendations(cols, targets, errors, consistency),
        summary=f"{status_line}. {finding[0].upper()}{finding[1:]}",
        load=load_report(cols, table.goodput),
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
