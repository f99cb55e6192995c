"""The session benchmark: one table per provider's sessions, the differences, the explanation."""

from __future__ import annotations

from typing import Any


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _n(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


ROWS = (("session", "session_ms", _ms), ("start-up", "startup_ms", _ms),
        ("first token", "first_token_ms", _ms), ("model (API calls)", "model_ms", _ms),
        ("tools", "tool_ms", _ms), ("API calls", "api_calls", _n),
        ("tool calls", "tool_calls", _n), ("per-call TTFT", "call_ttft_ms", _ms),
        ("per-call duration", "call_duration_ms", _ms))  # fmt: skip


def _providers_table(result: Any):
    from rich.table import Table

    head = (f"session-benchmark {result.run_id} · task {result.task} · Claude Code "
            f"{result.claude_code_version or '?'}" + (" · emulated" if result.emulated else ""))  # fmt: skip
    table = Table(title=head, title_justify="left")
    table.add_column("per session")
    for p in result.providers:
        table.add_column(f"{p.label} p50", justify="right")
        table.add_column("mean", justify="right")
        table.add_column("n", justify="right")
    for name, field, fmt in ROWS:
        cells = []
        for p in result.providers:
            s = getattr(p, field)
            cells += [fmt(s.p50), fmt(s.mean), str(s.n)]
        table.add_row(name, *cells)
    table.add_row("per-call TTFT p90", *[c for p in result.providers
                                         for c in (_ms(p.call_ttft_ms.p90), "", str(p.call_ttft_ms.n))])  # fmt: skip
    table.add_row("cache-read share", *[c for p in result.providers for c in (
        "-" if p.cache_read_share is None else f"{p.cache_read_share:.0%}", "", "")])  # fmt: skip
    table.add_row("task check passed", *[c for p in result.providers
                                         for c in (f"{p.succeeded}/{p.sessions}", "", "")])  # fmt: skip
    return table


def render(con: Any, result: Any) -> None:
    con.print(_providers_table(result))
    for p in result.providers:
        tools = ", ".join(f"{k} {v:.1f}" for k, v in p.tool_calls_by_tool.items()) or "none"
        con.print(f"  {p.label}: tool calls per session: {tools}"
                  + (f"; TTFT from {p.ttft_source}" if p.ttft_source else ""))  # fmt: skip
    for e in result.explanations:
        con.print(f"[bold]{e.statement}[/]")
    for note in result.notes:
        con.print(f"[yellow]note:[/yellow] {note}")
    con.print(f"saved {result.path}")


def exit_code(result: Any, opts: Any) -> int:
    """1 when no session finished (the run is saved all the same)."""
    return 1 if result.finished and all(p.ok == 0 for p in result.providers) else 0
