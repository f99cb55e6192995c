"""The monitor's last rolling window, and where its runs went."""

from __future__ import annotations

from typing import Any

from sre_latency.cli.render.monitor_status import status_table


def render(con: Any, result: Any) -> None:
    status_table(con, result.targets, f"monitor at {result.location} · rolling window at the end "
                 "· times in ms")  # fmt: skip
    for where in result.runs:
        con.print(f"saved {where}")
    for note in result.notes:
        con.print(f"[yellow]note:[/yellow] {note}")
    con.print(result.summary)


def exit_code(result: Any, opts: Any) -> int:
    """With ``--once`` (cron), 1 when every request of the round failed."""
    return (
        1
        if result.stopped_by == "once" and result.requests and result.requests == (result.errors)
        else 0
    )
