"""Runs side by side, and each later run against the baseline."""

from __future__ import annotations

from typing import Any


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "fraction":
        return f"{100 * value:.1f} %"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}"


def _signed(value: float, unit: str) -> str:
    if unit == "fraction":
        return f"{100 * value:+.1f}"
    return f"{value:+.0f}" if unit == "ms" and abs(value) >= 100 else f"{value:+.1f}"


def _delta(d) -> str:
    if d.delta is None:
        return "—"
    text = (
        f"{_signed(d.delta, d.unit)} [{_signed(d.ci95_low, d.unit)}, "
        f"{_signed(d.ci95_high, d.unit)}]" + (" pp" if d.unit == "fraction" else "")
    )
    if d.regression:
        return f"[bold red]{text} REGRESSION[/]"
    if d.improvement:
        return f"[green]{text} better[/]"
    return text if d.significant else f"[dim]{text}[/]"


def render(out: Any, result: Any) -> None:
    from rich.table import Table

    names = ["baseline", *[f"run {i + 1}" for i in range(1, len(result.runs))]]
    for name, r in zip(names, result.runs, strict=True):
        flags = "" if r.complete else " [yellow](incomplete)[/]"
        out.print(f"{name}: {r.run_id}  {r.created_at[:19]}  env {r.environment}  n={r.n}{flags}")
    for t in result.targets:
        table = Table(title=f"{t.label}: p50 / p90 / p99 / mean", title_justify="left")
        table.add_column("metric")
        for name, tr in zip(names, t.runs, strict=True):
            table.add_column(name if tr else f"{name} (absent)", justify="right")
        first = next(tr for tr in t.runs if tr)
        for j, m in enumerate(first.metrics):
            cells = [
                " / ".join(_num(getattr(tr.metrics[j], s), m.unit) for s in ("p50", "p90", "p99",
                                                                             "mean"))
                if tr else "—"
                for tr in t.runs
            ]  # fmt: skip
            table.add_row(f"{m.metric} ({m.unit})", *cells)
        table.add_row("error rate", *[_num(tr.error_rate, "fraction") if tr else "—"
                                      for tr in t.runs])  # fmt: skip
        out.print(table)
        for run_id, deltas in t.deltas.items():
            name = names[[r.run_id for r in result.runs].index(run_id, 1)]
            dt = Table(title=f"{t.label}: {name} − baseline (Δ [95 % CI])", title_justify="left")
            for col in ("statistic", "baseline", name, "Δ [95 % CI]"):
                dt.add_column(col, justify="left" if col == "statistic" else "right")
            for d in deltas:
                dt.add_row(d.metric, _num(d.baseline, d.unit), _num(d.value, d.unit), _delta(d))
            out.print(dt)
    for note in result.notes:
        out.print(f"[yellow]note:[/] {note}")
    out.print(result.summary)


def exit_code(result: Any, opts: Any) -> int:
    return 1 if opts.fail_on_regression and result.regressions else 0
