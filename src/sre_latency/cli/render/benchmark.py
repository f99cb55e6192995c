"""The benchmark table, its comparisons and its validity warnings."""

from __future__ import annotations

from typing import Any


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def render(con: Any, result: Any) -> None:
    """The summary table, the comparisons and any validity warning."""
    from rich.table import Table

    models = sorted({row.model for row in result.targets})
    title = f"benchmark {result.run_id} · times in ms · model {', '.join(models)}"
    table = Table(title=title, title_justify="left")
    table.add_column("target")
    for col in ("n", "ok", "errors", "TTFT p50", "p99", "total p50", "p99", "ITL", "tok/s"):
        table.add_column(col, justify="left" if col == "errors" else "right")
    for row in result.targets:
        errors = ", ".join(f"{k} {v}" for k, v in row.errors_by_class.items()) or "-"
        table.add_row(
            row.label,
            str(row.n),
            str(row.ok),
            errors,
            _ms(row.ttft_p50_ms),
            _ms(row.ttft_p99_ms),
            _ms(row.total_p50_ms),
            _ms(row.total_p99_ms),
            _ms(row.itl_mean_ms),
            "-" if row.output_tps_mean is None else f"{row.output_tps_mean:.0f}",
        )
    con.print(table)
    for rates in getattr(result, "throughput", []):
        if rates.request_rate_per_s is not None:
            con.print(
                f"  throughput {rates.label}: {rates.request_rate_per_s:.2f} req/s, "
                f"{rates.output_tokens_per_s or 0:.0f} output tok/s, goodput "
                f"{rates.goodput_per_s or 0:.2f} req/s (n={rates.n}, {rates.span_s:.1f} s)"
            )  # analysis.throughput.describe says the same (one rates function)
    for sentence in result.comparisons:
        con.print(f"  {sentence}")
    for note in result.validity_notes:
        con.print(f"[yellow]note:[/yellow] {note}")
    if not result.valid:
        con.print("[bold red]This run is not valid: the measuring client was saturated.[/]")
    con.print(f"saved {result.path}")


def exit_code(result: Any, opts: Any) -> int:
    """1 when every request failed (the run is saved all the same)."""
    return 1 if result.finished and all(row.ok == 0 for row in result.targets) else 0
