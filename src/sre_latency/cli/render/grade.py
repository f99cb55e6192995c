"""Grades per target and metric, the bounds they were judged by, thresholds and goodput."""

from __future__ import annotations

from typing import Any

from sre_latency.cli.common import show_table


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "fraction":
        return f"{100 * value:.2f} %"
    if unit == "tok/s":
        return f"{value:,.1f} tok/s"
    return f"{value:,.0f} ms"


_COLOURS = {"A": "green", "B": "green", "C": "yellow", "D": "red", "F": "bold red"}


def _letter(g: str | None) -> str:
    return f"[{_COLOURS[g]}]{g}[/]" if g else "[dim]not graded[/]"


def _bounds(m: Any) -> str:
    scale = 100 if m.unit == "fraction" else 1
    unit = " %" if m.unit == "fraction" else f" {m.unit}"
    way = "≥" if m.higher_is_better else "≤"
    letters = ", ".join(
        f"{g} {way} {scale * b:g}" for g, b in zip("ABCD", m.bounds_abcd, strict=True)
    )
    return f"{m.metric}: {letters}{unit}; beyond D is F"


def _goodput(p: Any) -> str:
    g = p.goodput
    if g.goodput is None:
        return "—"
    rate = f", {g.goodput_per_s:.2f}/s" if g.goodput_per_s is not None else ""
    return f"{100 * g.goodput:.1f} %{rate}"


def render(out: Any, result: Any) -> None:
    for note in result.notes:
        out.print(f"[yellow]note:[/] {note}")
    if result.conditions is not None:
        out.print(f"conditions: {result.conditions.line()}")
    first = result.providers[0]
    out.print(f"SLO table ({result.slo_source}):")
    for m in first.metrics:
        out.print(f"  {_bounds(m)}")
    slo = ", ".join(
        f"{k} {'≥' if k == 'output_tps' else '≤'} {v:g}" for k, v in first.goodput.slo.items()
    )
    out.print(f"  goodput: succeeded with {slo}")
    header = [
        "target",
        *[m.metric.replace(" ", "\n", 1) for m in first.metrics],
        "overall",
        "goodput",
    ]
    header += [t.expression for t in first.thresholds]
    rows = []
    for p in result.providers:
        cells = [f"{p.label} (n={p.n})"]
        for pm in p.metrics:
            warn = " [yellow]![/]" if pm.warning else ""
            cells.append(f"{_fmt(pm.value, pm.unit)} {_letter(pm.grade)}{warn}")
        cells += [f"[bold]{_letter(p.grade)}[/]", _goodput(p)]
        for t in p.thresholds:
            value = f" ({t.value:.4g})" if t.value is not None else ""
            cells.append(("[green]pass[/]" if t.passed else "[red]FAIL[/]") + value)
        rows.append(cells)
    mark = " · [bold yellow]EMULATED[/]" if result.emulated else ""
    show_table(out, header, rows, title=f"Grades — run {result.run_id}{mark}",
               right=list(range(1, len(header))))  # fmt: skip
    for p in result.providers:
        for w in p.warnings:
            out.print(f"[yellow]warning:[/] {p.label}: {w}")
        for m in p.metrics:
            if m.not_graded_reason:
                out.print(f"[dim]{p.label}: {m.metric} not graded: {m.not_graded_reason}[/]")
    out.print(result.summary)


def exit_code(result: Any, opts: Any) -> int:
    """1 when --fail-below or a threshold failed."""
    return 1 if result.gate_failed or not result.thresholds_passed else 0
