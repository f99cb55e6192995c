"""Runs side by side, and each later run against the baseline: conditions first, then figures."""

from __future__ import annotations

from typing import Any

from sre_latency.cli.common import show_table


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "fraction":
        return f"{100 * value:.1f} %"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"


def _signed(value: float, unit: str) -> str:
    if unit == "fraction":
        return f"{100 * value:+.1f}"
    return f"{value:+,.0f}" if abs(value) >= 100 else f"{value:+.1f}"


def _delta(d: Any) -> str:
    if d.delta is None:
        return "—"
    pp = " pp" if d.unit == "fraction" else ""
    if d.ci95_low is None or d.ci95_high is None:
        return f"{_signed(d.delta, d.unit)}{pp} (not tested)"
    text = (
        f"{_signed(d.delta, d.unit)} [{_signed(d.ci95_low, d.unit)}, "
        f"{_signed(d.ci95_high, d.unit)}]{pp}"
    )
    if d.regression:
        return f"[bold red]{text} REGRESSION[/]"
    if d.improvement:
        return f"[green]{text} better[/]"
    return text if d.significant else f"[dim]{text}[/]"


def _runs(out: Any, result: Any, names: list[str]) -> None:
    lines = [r.conditions.line() if r.conditions is not None else "" for r in result.runs]
    for name, r, line in zip(names, result.runs, lines, strict=True):
        flags = "" if r.complete else " [yellow](incomplete)[/]"
        out.print(f"{name}: {r.run_id}  {r.created_at[:19]}  env {r.environment}  n={r.n}{flags}")
        if line and len(set(lines)) > 1:
            out.print(f"  conditions: {line}")
    if lines[0] and len(set(lines)) == 1:
        out.print(f"conditions (every run): {lines[0]}")
    if result.family_tests:
        out.print(
            f"intervals: simultaneous {100 * result.family_confidence:g} % over "
            f"{result.family_tests} tests (each at {100 * result.per_test_confidence:.2f} %, "
            "Bonferroni); a quantile is tested only where a 95 % interval for it exists"
        )


def _target(out: Any, result: Any, t: Any, names: list[str]) -> None:
    header = [
        "metric",
        *[n if tr else f"{n} (absent)" for n, tr in zip(names, t.runs, strict=True)],
    ]
    first = next(tr for tr in t.runs if tr)
    rows = []
    for j, m in enumerate(first.metrics):
        cells = [
            " / ".join(_num(getattr(tr.metrics[j], s), m.unit) for s in ("p50", "p90", "p99", "mean"))
            if tr else "—"
            for tr in t.runs
        ]  # fmt: skip
        rows.append([f"{m.metric} ({m.unit})", *cells])
    rows.append(["error rate", *[_num(tr.error_rate, "fraction") if tr else "—" for tr in t.runs]])
    models = ", ".join(dict.fromkeys(m for m in t.models if m))
    show_table(out, header, rows, title=f"{t.label} ({models}): p50 / p90 / p99 / mean",
               right=list(range(1, len(header))))  # fmt: skip
    for run_id, deltas in t.deltas.items():
        name = names[[r.run_id for r in result.runs].index(run_id, 1)]
        for what in t.conditions_differ.get(run_id, []):
            out.print(f"[yellow]conditions differ:[/] {t.label}: {what}")
        rows = []
        for d in deltas:
            row = [d.metric, _num(d.baseline, d.unit), _num(d.value, d.unit), _delta(d)]
            rows.append(row)
        show_table(out, ["statistic", "baseline", name, "Δ [simultaneous 95 % CI]"], rows,
                   title=f"{t.label}: {name} − baseline", right=[1, 2, 3])  # fmt: skip
        untested: dict[str, list[str]] = {}
        for d in deltas:
            if d.not_tested_reason:
                untested.setdefault(d.not_tested_reason, []).append(d.metric)
        for reason, metrics in untested.items():
            out.print(f"  [dim]not tested: {', '.join(metrics)}: {reason}[/]")


def render(out: Any, result: Any) -> None:
    for note in result.condition_notes:
        out.print(f"[bold yellow]note:[/] {note}")
    names = ["baseline", *[f"run {i + 1}" for i in range(1, len(result.runs))]]
    _runs(out, result, names)
    for t in result.targets:
        _target(out, result, t, names)
    for note in result.notes:
        out.print(f"[yellow]note:[/] {note}")
    out.print(result.summary)


def exit_code(result: Any, opts: Any) -> int:
    return 1 if opts.fail_on_regression and result.regressions else 0
