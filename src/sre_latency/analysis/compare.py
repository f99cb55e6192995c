"""Compare runs side by side: each later run against the first, with bootstrap CIs.

A change is flagged as a regression only when its 95 % CI excludes zero (it is not noise) *and*
it is larger than ``min_change_pct`` (it matters). Runs measured from different machines or
regions are labelled by their environment: a difference may then be the network, not the API.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from sre_latency.analysis.columns import RunColumns, TargetColumns, load_run_columns
from sre_latency.core.contract import Run
from sre_latency.core.metrics import HEADLINE_METRICS, HIGHER_IS_BETTER, SUMMARY_METRICS, unit_of
from sre_latency.core.stats import percentile, proportion_delta_ci, unpaired_delta_ci
from sre_latency.errors import ConfigError
from sre_latency.store import RunStore

DEFAULT_METRICS = HEADLINE_METRICS
DELTA_STATS = ("p50", "p99")


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
    significant: bool  # the CI excludes zero
    regression: bool  # significant, worse, and beyond min_change_pct
    improvement: bool  # significant, better, and beyond min_change_pct


class TargetComparison(BaseModel):
    label: str
    runs: list[TargetInRun | None]  # in run order; None where the run lacks this target
    deltas: dict[str, list[Delta]]  # later run id → deltas against the first run


class ComparedRun(BaseModel):
    run_id: str
    path: str | None
    created_at: str
    complete: bool
    valid: bool
    environment: str  # host or host/region
    n: int


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


def _stats(target: TargetColumns, metric: str) -> MetricStats:
    values = target.sorted_ok(metric)
    return MetricStats(
        metric=metric,
        unit=unit_of(metric),
        n=int(values.size),
        **{s: percentile(values, s, presorted=True) for s in ("p50", "p90", "p99", "mean")},
    )


def _in_run(run: RunColumns, target: TargetColumns, metrics: tuple[str, ...]) -> TargetInRun:
    return TargetInRun(
        run_id=run.run_id,
        n=target.n,
        ok=target.n_ok,
        error_rate=target.n_errors / target.n if target.n else None,
        metrics=[_stats(target, m) for m in metrics],
    )


def _verdict(
    metric: str,
    name: str,
    base: float | None,
    value: float | None,
    ns: tuple[int, int],
    ci: tuple[float, float, float] | None,
    min_change_pct: float,
) -> Delta:
    figures = {"metric": name, "unit": unit_of(metric), "baseline": base,
               "baseline_n": ns[0], "value": value, "n": ns[1]}  # fmt: skip
    if ci is None or base is None or value is None:
        return Delta(
            **figures, delta=None, delta_pct=None, ci95_low=None, ci95_high=None,
            significant=False, regression=False, improvement=False,
        )  # fmt: skip
    delta, lo, hi = ci
    pct = 100.0 * delta / abs(base) if base else (float("inf") if delta else 0.0)
    significant = lo > 0 or hi < 0
    big = abs(pct) > min_change_pct
    worse = delta < 0 if metric in HIGHER_IS_BETTER else delta > 0
    return Delta(
        **figures,
        delta=delta,
        delta_pct=pct if pct != float("inf") else None,
        ci95_low=lo,
        ci95_high=hi,
        significant=significant,
        regression=significant and big and worse,
        improvement=significant and big and not worse,
    )


def compare_targets(
    a: TargetColumns,
    b: TargetColumns,
    metrics: tuple[str, ...],
    min_change_pct: float,
    seed: int = 0,
) -> list[Delta]:
    """Deltas of ``b`` against ``a``: p50 and p99 per metric (bootstrap CI) and error rate."""
    out = []
    for metric in metrics:
        va, vb = a.sorted_ok(metric), b.sorted_ok(metric)
        for stat in DELTA_STATS:
            ci = unpaired_delta_ci(va, vb, stat, seed=seed, presorted=True)
            out.append(
                _verdict(
                    metric, f"{metric} {stat}", percentile(va, stat, True), percentile(vb, stat, True),
                    (va.size, vb.size), ci, min_change_pct,
                )
            )  # fmt: skip
    ci = proportion_delta_ci(a.n_errors, a.n, b.n_errors, b.n)
    rate_a = a.n_errors / a.n if a.n else None
    rate_b = b.n_errors / b.n if b.n else None
    out.append(_verdict("error_rate", "error_rate", rate_a, rate_b, (a.n, b.n), ci, min_change_pct))
    return out


def compare(
    runs: list[str | Path | Run | RunColumns],
    metrics: list[str] | None = None,
    min_change_pct: float = 5.0,
    store: RunStore | None = None,
) -> CompareResult:
    """Compare ``runs`` (columns, runs or references; the first is the baseline)."""
    chosen = tuple(metrics or DEFAULT_METRICS)
    for m in chosen:
        if m not in SUMMARY_METRICS:
            raise ConfigError(
                f"cannot compare unknown metric {m!r}; choose from {', '.join(SUMMARY_METRICS)}."
            )
    if min_change_pct < 0:
        raise ConfigError("--min-change-pct must not be negative.")
    if len(runs) < 2:
        raise ConfigError(
            f"nothing to compare: {len(runs)} run(s) given; pass two or more runs, or --latest N."
        )
    cols = [load_run_columns(r, store) for r in runs]
    base = cols[0]
    labels = list(dict.fromkeys(label for c in cols for label in c.targets))
    targets, regressions, improvements = [], [], []
    for label in labels:
        target, regs, imps = _compare_label(label, cols, chosen, min_change_pct)
        targets.append(target)
        regressions += regs
        improvements += imps
    envs = [c.environment_label for c in cols]
    differ = len(set(envs)) > 1
    notes = _notes(cols, envs, labels, differ)
    summary = _summary(cols, regressions, improvements, min_change_pct, differ)
    return CompareResult(
        baseline_run_id=base.run_id,
        runs=[
            ComparedRun(
                run_id=c.run_id,
                path=c.path,
                created_at=c.created_at.isoformat(),
                complete=c.complete,
                valid=c.valid,
                environment=e,
                n=c.n,
            )
            for c, e in zip(cols, envs, strict=True)
        ],
        min_change_pct=min_change_pct,
        targets=targets,
        regressions=regressions,
        improvements=improvements,
        environments_differ=differ,
        notes=notes,
        summary=summary,
    )


def _compare_label(
    label: str, cols: list[RunColumns], chosen: tuple[str, ...], min_change_pct: float
) -> tuple[TargetComparison, list[str], list[str]]:
    """One target across the runs: its figures per run, and each later run's deltas."""
    base = cols[0]
    per_run = [_in_run(c, c.targets[label], chosen) if label in c.targets else None for c in cols]
    deltas: dict[str, list[Delta]] = {}
    regressions: list[str] = []
    improvements: list[str] = []
    if label in base.targets:
        for c in cols[1:]:
            if label not in c.targets:
                continue
            ds = compare_targets(base.targets[label], c.targets[label], chosen, min_change_pct)
            deltas[c.run_id] = ds
            for d in ds:
                if d.regression or d.improvement:
                    text = _describe(label, c.run_id, d)
                    (regressions if d.regression else improvements).append(text)
    return TargetComparison(label=label, runs=per_run, deltas=deltas), regressions, improvements


def _notes(cols: list[RunColumns], envs: list[str], labels: list[str], differ: bool) -> list[str]:
    notes = [f"run {c.run_id} is incomplete" for c in cols if not c.complete]
    notes += [f"run {c.run_id} is marked invalid" for c in cols if not c.valid]
    if differ:
        notes.append(
            "runs come from different environments ("
            + ", ".join(f"{c.run_id}: {e}" for c, e in zip(cols, envs, strict=True))
            + "); differences may reflect the network path, not the provider"
        )
    for label in labels:
        missing = [c.run_id for c in cols if label not in c.targets]
        if missing:
            notes.append(f"{label} is missing from {', '.join(missing)}")
    return notes


def _fmt(value: float, unit: str) -> str:
    if unit == "fraction":
        return f"{100 * value:+.1f} pp"
    return f"{value:+.0f} ms" if unit == "ms" else f"{value:+.1f} {unit}"


def _describe(label: str, run_id: str, d: Delta) -> str:
    assert d.delta is not None and d.ci95_low is not None and d.ci95_high is not None
    pct = f" ({d.delta_pct:+.0f} %)" if d.delta_pct is not None else ""
    scale = 100 if d.unit == "fraction" else 1
    ci = f"[{scale * d.ci95_low:+.3g}, {scale * d.ci95_high:+.3g}]"
    return f"{label} {d.metric} {_fmt(d.delta, d.unit)}{pct} {ci} in {run_id}"


def _summary(
    cols: list[RunColumns], regressions: list[str], improvements: list[str], pct: float,
    differ: bool,
) -> str:  # fmt: skip
    head = f"{len(cols)} runs compared against {cols[0].run_id}"
    if regressions:
        head += f": {len(regressions)} regression(s), e.g. {regressions[0]}"
    else:
        head += f": no regression beyond {pct:g} % with a CI that excludes zero"
    if improvements:
        head += f"; {len(improvements)} improvement(s)"
    if differ:
        head += "; environments differ"
    return head + "."
