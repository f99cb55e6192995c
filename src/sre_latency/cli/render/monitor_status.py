"""What the monitor saw: one row per location and target."""

from __future__ import annotations

from typing import Any


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def status_table(con: Any, targets: list, title: str) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in ("location", "target", "n", "errors", "TTFT p50", "p99", "total p50", "p99",
                "good", "last success"):  # fmt: skip
        table.add_column(
            col, justify="left" if col in ("location", "target", "errors") else "right"
        )
    for t in targets:
        errors = ", ".join(f"{k} {v}" for k, v in t.errors_by_class.items()) or "-"
        good = "-" if t.compliance is None else f"{100 * t.compliance:.1f} %"
        last = t.last_success_at.strftime("%H:%M:%SZ") if t.last_success_at else "never"
        table.add_row(
            t.location,
            t.target,
            str(t.n),
            errors,
            _ms(t.ttft_p50_ms),
            _ms(t.ttft_p99_ms),
            _ms(t.total_p50_ms),
            _ms(t.total_p99_ms),
            good,
            last,
        )
    con.print(table)


def render(con: Any, result: Any) -> None:
    span = f"{result.since:%Y-%m-%d %H:%M:%S} – {result.until:%H:%M:%S} UTC"
    status_table(con, result.targets, f"monitor · {span} · times in ms · {result.source}")
    for note in result.notes:
        con.print(f"[yellow]note:[/yellow] {note}")
    con.print(result.summary)


def exit_code(result: Any, opts: Any) -> int:
    return 0
