"""Compare runs side by side: each later run against the first, with 95 % CIs.

Targets pair by provider, model and Bedrock variant (``compare_pairs``). A change is flagged as
a regression only when its interval excludes zero (it is not noise) *and* it is larger than
``min_change_pct`` (it matters); the intervals are simultaneous 95 % intervals over every test
of the call (Bonferroni, see ``significance``), so two runs of one profile are flagged at most
one time in twenty. When the runs' conditions differ (model, prompt size, max_tokens,
concurrency, cold or warm, emulated or real, endpoint) the result says so first and calls
nothing a regression unless ``allow_different_conditions``. Runs measured from different
machines or regions are labelled by their environment: a difference may be the network.
"""

from __future__ import annotations

from pathlib import Path

from sre_latency.analysis.columns import RunColumns, TargetColumns, load_run_columns
from sre_latency.analysis.compare_models import (
    ComparedRun,
    CompareResult,
    Delta,
    MetricStats,
    TargetComparison,
    TargetInRun,
)
from sre_latency.analysis.compare_pairs import Pairing, pair_targets
from sre_latency.analysis.compare_text import condition_notes, describe, notes, summary
from sre_latency.analysis.context import run_conditions
from sre_latency.analysis.significance import (
    bootstrap_draws,
    per_test_confidence,
    untestable_reason,
)
from sre_latency.core.conditions import Conditions
from sre_latency.core.contract import Run
from sre_latency.core.metrics import HEADLINE_METRICS, HIGHER_IS_BETTER, SUMMARY_METRICS, unit_of
from sre_latency.core.stats import percentile, proportion_delta_ci, unpaired_delta_ci
from sre_latency.errors import ConfigError
from sre_latency.store import RunStore

DEFAULT_METRICS = HEADLINE_METRICS
DELTA_STATS = ("p50", "p99")


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
    judged: bool = True,
) -> Delta:
    figures = {"metric": name, "unit": unit_of(metric), "baseline": base,
               "baseline_n": ns[0], "value": value, "n": ns[1]}  # fmt: skip
    if ci is None or base is None or value is None:
        delta = None if base is None or value is None else value - base
        return Delta(
            **figures, delta=delta, delta_pct=_pct(delta, base), ci95_low=None, ci95_high=None,
            significant=False, regression=False, improvement=False, tested=False,
        )  # fmt: skip
    delta, lo, hi = ci
    pct = _pct(delta, base)
    significant = judged and (lo > 0 or hi < 0)
    big = abs(pct) > min_change_pct if pct is not None else delta != 0
    worse = delta < 0 if metric in HIGHER_IS_BETTER else delta > 0
    return Delta(
        **figures, delta=delta, delta_pct=pct, ci95_low=lo, ci95_high=hi,
        significant=significant, regression=significant and big and worse,
        improvement=significant and big and not worse, tested=judged,
    )  # fmt: skip


def _pct(delta: float | None, base: float | None) -> float | None:
    if delta is None or base is None or base == 0:
        return None
    return 100.0 * delta / abs(base)


class _Family:
    """The tests one compare call makes, and the confidence each is made at."""

    def __init__(self, tests: int):
        self.tests = tests
        self.confidence = per_test_confidence(tests)
        self.n_boot = bootstrap_draws(self.confidence)


def _planned_tests(a: TargetColumns, b: TargetColumns, metrics: tuple[str, ...]) -> int:
    """How many tests the deltas of ``b`` against ``a`` make (see ``significance``)."""
    count = 0
    for metric in metrics:
        na, nb = a.sorted_ok(metric).size, b.sorted_ok(metric).size
        count += sum(untestable_reason(stat, na, nb) is None for stat in DELTA_STATS)
    if a.n and b.n and a.n_errors + b.n_errors > 0:  # 0 vs 0 errors cannot reject: not a test
        count += 1
    return count


def compare_targets(
    a: TargetColumns,
    b: TargetColumns,
    metrics: tuple[str, ...],
    min_change_pct: float,
    seed: int = 0,
    family: _Family | None = None,
    judged: bool = True,
) -> list[Delta]:
    """Deltas of ``b`` against ``a``: p50 and p99 per metric (order-statistic CI) and error rate, each
    interval at the family's per-test confidence; quantiles too rare to bound are not tested."""
    family = family or _Family(_planned_tests(a, b, metrics))
    level = {"confidence": family.confidence}
    out = []
    for metric in metrics:
        va, vb = a.sorted_ok(metric), b.sorted_ok(metric)
        for stat in DELTA_STATS:
            pa, pb = percentile(va, stat, True), percentile(vb, stat, True)
            reason = untestable_reason(stat, va.size, vb.size)
            ci = None if reason else unpaired_delta_ci(
                va, vb, stat, n_boot=family.n_boot, seed=seed, presorted=True, **level
            )  # fmt: skip
            d = _verdict(metric, f"{metric} {stat}", pa, pb, (va.size, vb.size), ci,
                         min_change_pct, judged)  # fmt: skip
            d.not_tested_reason, d.confidence = reason, None if reason else family.confidence
            out.append(d)
    ci = proportion_delta_ci(a.n_errors, a.n, b.n_errors, b.n, **level)
    rate_a = a.n_errors / a.n if a.n else None
    rate_b = b.n_errors / b.n if b.n else None
    failed = a.n_errors + b.n_errors > 0  # 0 vs 0 errors cannot reject: not a test
    d = _verdict(
        "error_rate", "error_rate", rate_a, rate_b, (a.n, b.n), ci, min_change_pct,
        judged and failed,
    )  # fmt: skip
    d.confidence = family.confidence if ci is not None else None
    if ci is not None and not failed:
        d.not_tested_reason = "no request failed in either run"
    out.append(d)
    return out


def _check_args(runs: list, metrics: list[str] | None, min_change_pct: float) -> tuple[str, ...]:
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
    return chosen


def _differences(p: Pairing, j: int, conds: list[Conditions]) -> list[str]:
    return conds[0].differences(conds[j]) + p.differs.get(j, [])


def compare(
    runs: list[str | Path | Run | RunColumns],
    metrics: list[str] | None = None,
    min_change_pct: float = 5.0,
    store: RunStore | None = None,
    allow_different_conditions: bool = False,
) -> CompareResult:
    """Compare ``runs`` (columns, runs or references; the first is the baseline)."""
    chosen = _check_args(runs, metrics, min_change_pct)
    cols = [load_run_columns(r, store) for r in runs]
    conds = [run_conditions(c) for c in cols]
    pairings = pair_targets(cols)
    later = range(1, len(cols))
    judged = {
        (i, j): allow_different_conditions or not _differences(p, j, conds)
        for i, p in enumerate(pairings) for j in later
        if p.base is not None and p.targets[j] is not None
    }  # fmt: skip
    family = _Family(sum(
        _planned_tests(pairings[i].base, pairings[i].targets[j], chosen)  # type: ignore[arg-type]
        for (i, j), ok in judged.items() if ok
    ))  # fmt: skip
    targets, regressions, improvements = [], [], []
    for i, p in enumerate(pairings):
        target = _compare_pairing(p, cols, conds, chosen, min_change_pct, family, judged, i)
        targets.append(target)
        for run_id, ds in target.deltas.items():
            for d in ds:
                if d.regression or d.improvement:
                    (regressions if d.regression else improvements).append(
                        describe(p.label, run_id, d)
                    )
    return _result(cols, conds, pairings, targets, regressions, improvements, min_change_pct,
                   family, allow_different_conditions)  # fmt: skip


def _compare_pairing(
    p: Pairing,
    cols: list[RunColumns],
    conds: list[Conditions],
    chosen: tuple[str, ...],
    min_change_pct: float,
    family: _Family,
    judged: dict[tuple[int, int], bool],
    i: int,
) -> TargetComparison:
    """One target across the runs: its figures per run, and each later run's deltas."""
    deltas: dict[str, list[Delta]] = {}
    differ: dict[str, list[str]] = {}
    for j in range(1, len(cols)):
        if (i, j) not in judged:
            continue
        a, b = p.base, p.targets[j]
        deltas[cols[j].run_id] = compare_targets(
            a,
            b,
            chosen,
            min_change_pct,
            family=family,
            judged=judged[(i, j)],  # type: ignore[arg-type]
        )
        if what := _differences(p, j, conds):
            differ[cols[j].run_id] = what
    return TargetComparison(
        label=p.label,
        runs=[
            _in_run(c, t, chosen) if t is not None else None
            for c, t in zip(cols, p.targets, strict=True)
        ],
        deltas=deltas,
        labels=[t.label if t is not None else None for t in p.targets],
        models=[t.model if t is not None else None for t in p.targets],
        conditions_differ=differ,
    )


def _result(cols, conds, pairings, targets, regressions, improvements, min_change_pct, family,
            allow) -> CompareResult:  # fmt: skip
    envs = [c.environment_label for c in cols]
    differ = len(set(envs)) > 1
    cond_notes = condition_notes(cols, targets, allow)
    return CompareResult(
        baseline_run_id=cols[0].run_id,
        runs=[
            ComparedRun(
                run_id=c.run_id,
                path=c.path,
                created_at=c.created_at.isoformat(),
                complete=c.complete,
                valid=c.valid,
                environment=e,
                n=c.n,
                kind=c.kind,
                emulated=k.emulated,
                conditions=k,
            )
            for c, e, k in zip(cols, envs, conds, strict=True)
        ],
        min_change_pct=min_change_pct,
        targets=targets,
        regressions=regressions,
        improvements=improvements,
        environments_differ=differ,
        notes=notes(cols, envs, pairings, differ),
        summary=summary(
            cols,
            regressions,
            improvements,
            min_change_pct,
            differ,
            family.tests,
            cond_notes,
            allow,
            any(k.emulated for k in conds),
        ),
        conditions_differ=bool(cond_notes),
        condition_notes=cond_notes,
        allow_different_conditions=allow,
        family_tests=family.tests,
        per_test_confidence=family.confidence,
        emulated=any(k.emulated for k in conds),
    )


__all__ = [
    "CompareResult",
    "ComparedRun",
    "Delta",
    "MetricStats",
    "TargetComparison",
    "TargetInRun",
    "compare",
    "compare_targets",
]
