"""Helpers shared by the CLI: JSON output, the console, and tables that never cut a figure.

Piped or CI output is 80 columns wide unless ``COLUMNS`` says otherwise. A rich table squeezed
into fewer columns than it needs cuts its cells (``anthropi…``), so ``show_table`` prints a
table only when it fits and otherwise *stacks* it: one block per row, its cells as ``name
value`` items packed into lines, none ever split. Sentences are printed with soft wrapping (no
newline is inserted into them), so a CI log keeps each one on one line for grep.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

_HUGE = 100_000


def emit_json(result: BaseModel) -> None:
    sys.stdout.write(result.model_dump_json(indent=2, by_alias=True) + "\n")


def console(stderr: bool = False):
    """A rich console; progress and tables go to stderr when stdout carries JSON."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _plain_len(cell: str) -> int:
    from rich.text import Text

    return Text.from_markup(cell).cell_len


def natural_width(con: Any, table: Any) -> int:
    """The width ``table`` takes when nothing in it is wrapped or cut."""
    from rich.measure import Measurement

    return Measurement.get(con, con.options.update_width(_HUGE), table).maximum


def show_table(
    con: Any,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    right: Sequence[int] = (),
) -> None:
    """``rows`` as a table when it fits the console, else stacked (see the module docstring).

    Cells may carry rich markup; column 0 names the row (a target, a metric).
    """
    from rich.markup import escape
    from rich.table import Table

    if title:
        con.print(title)
    table = Table(show_lines=False)
    for i, h in enumerate(headers):
        table.add_column(escape(h), justify="right" if i in right else "left", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    if natural_width(con, table) <= con.width:
        con.print(table)
        return
    for row in rows:
        con.print(f"[bold]{row[0]}[/]")
        names = [escape(" ".join(h.split())) for h in headers[1:]]  # one line per header
        items = [f"{h} {c}" for h, c in zip(names, row[1:], strict=True) if c != ""]
        for line in pack(items, con.width - 2):
            con.print("  " + line)


def pack(items: Sequence[str], width: int, sep: str = " · ") -> list[str]:
    """``items`` joined by ``sep`` into lines of at most ``width`` columns, no item split (an
    item wider than a line gets a line of its own)."""
    lines: list[str] = []
    current = ""
    for item in items:
        candidate = f"{current}{sep}{item}" if current else item
        if current and _plain_len(candidate) > width:
            lines.append(current)
            current = item
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def print_run_footer(con: Any, result: Any) -> None:
    """What ends the output of a measuring run: its validity notes, the verdict when the client
    was saturated, and where the run file is."""
    for note in result.validity_notes:
        con.print(f"[yellow]note:[/yellow] {note}")
    if not result.valid:
        con.print("[bold red]This run is not valid: the measuring client was saturated.[/]")
    con.print(f"saved {result.path}")
