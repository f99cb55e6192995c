"""Grades per metric and target, thresholds and goodput."""

from __future__ import annotations

from typing import Any


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "fraction":
        return f"{100 * value:.2f} %"
    if unit == "tok/s":
        return f"{value:.1f} tok/s"
    return f"{value:.0f} ms"


_COLOURS = {"A": "green", "B": "green", "C": "yellow", "D": "red", "F": "bold red"}


def _letter(g: str | None) -> str:
    return f"[{_COLOURS[g]}]{g}[/]" if g else "[dim]not graded[/]"


def render(out: Any, result: Any) -> None:
    from rich.table import Table

    for note in result.notes:
        out.print(f"[yellow]note:[/] {note}")
    table = Table(title=f"Grades — run {result.run_id}", title_justify="left")
    table.add_column("metric")
    table.add_column("A / B / C / D", style="dim")
    for p in result.providers:
        table.add_column(f"{p.label} (n={p.n})", justify="right")
    for i, m in enumerate(result.providers[0].metrics):
        scale = 100 if m.unit == "fraction" else 1
        bounds = "/".join(f"{scale * b:g}" for b in m.bounds_abcd)
        bounds += " %" if m.unit == "fraction" else f" {m.unit}"
        cells = []
        for p in result.providers:
            pm = p.metrics[i]
            cell = f"{_fmt(pm.value, pm.unit)}  {_letter(pm.grade)}"
            if pm.warning:
                cell += " [yellow]![/]"
            cells.append(cell)
        table.add_row(m.metric, bounds + (" (≥)" if m.higher_is_better else ""), *cells)
    table.add_row(
        "[bold]overall[/]", "", *[f"[bold]{_letter(p.grade)}[/]" for p in result.providers]
    )
    table.add_row(
        "goodput",
        ", ".join(
            f"{k} {'≥' if k == 'output_tps' else '≤'} {v:g}"
            for k, v in result.providers[0].goodput.slo.items()
        ),
        *[
            f"{100 * p.goodput.goodput:.1f} %" if p.goodput.goodput is not None else "—"
            for p in result.providers
        ],
    )
    for j, t in enumerate(result.providers[0].thresholds):
        table.add_row(
            t.expression,
            "threshold",
            *[
                ("[green]pass[/]" if p.thresholds[j].passed else "[red]FAIL[/]")
                + (f" ({p.thresholds[j].value:.4g})" if p.thresholds[j].value is not None else "")
                for p in result.providers
            ],
        )
    out.print(table)
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
