"""The capacity search: its steps, and the answer with its evidence."""

from __future__ import annotations

from typing import Any

from sre_latency.cli.common import print_run_footer


def render(con: Any, result: Any) -> None:
    from rich.table import Table

    table = Table(title=f"capacity {result.run_id} · SLO {result.slo}", title_justify="left")
    for col in ("step", f"load ({result.unit})", "n", "verdict", "evidence"):
        table.add_column(col, justify="right" if col in ("step", "n") else "left")
    for s in result.steps:
        verdict = (
            "holds" if s.holds else "breached" + (" (stopped early)" if s.stopped_early else "")
        )
        table.add_row(str(s.index), f"{s.load:g}", str(s.n), verdict, s.evidence)
    con.print(table)
    con.print(f"[bold]{result.answer[0].upper()}{result.answer[1:]}.[/bold]")
    con.print(f"  {result.why_requests_per_step}; {result.requests_spent} requests spent.")
    print_run_footer(con, result)


def exit_code(result: Any, opts: Any) -> int:
    """1 when the SLO held at no load tried (the run is saved all the same)."""
    return 1 if result.steps and result.capacity is None else 0
