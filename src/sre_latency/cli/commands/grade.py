"""``sre-latency grade``: letter grades, thresholds and goodput for one run."""

from __future__ import annotations

import argparse

from sre_latency.cli.common import add_json_flag, add_run_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "grade",
        help="grade a run against an SLO table (A–F), with thresholds and goodput",
        description="Grade each provider of a run per metric against the default SLO table or "
        "a TOML file; overall = the worst metric. Exit 1 when --fail-below or a threshold fails.",
    )
    add_run_argument(p)
    p.add_argument("--slo", metavar="FILE", help="TOML file overriding the SLO table")
    p.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="EXPR",
        help="k6-style pass/fail check, e.g. 'ttft_ms p95 < 500' or 'error_rate < 1%%' "
        "(repeatable)",
    )
    p.add_argument(
        "--fail-below",
        metavar="GRADE",
        type=str.upper,
        choices=["A", "B", "C", "D", "F"],
        help="exit 1 when any provider grades below GRADE",
    )
    add_json_flag(p)
    p.set_defaults(handler=_handle)


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


def _print(result) -> None:
    from rich.table import Table

    from sre_latency.cli.common import console

    out = console()
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


def _handle(args: argparse.Namespace) -> int:
    from sre_latency.analysis.grade import grade
    from sre_latency.cli.common import emit_json

    result = grade(args.run, slo=args.slo, thresholds=args.threshold, fail_below=args.fail_below)
    if args.json:
        emit_json(result)
    else:
        _print(result)
    return 1 if result.gate_failed or not result.thresholds_passed else 0
