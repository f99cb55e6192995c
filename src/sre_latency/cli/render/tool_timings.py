"""Where a Claude Code session's time went, per category and MCP server."""

from __future__ import annotations

from typing import Any

from sre_latency.cli.common import show_table


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.1f}s" if value >= 10_000 else f"{value:.0f}ms"


def render(out: Any, result: Any) -> None:
    for note in result.notes:
        out.print(f"[yellow]note:[/] {note}")
    for s in result.sessions:
        out.print(f"[bold]Session {s.session_id}[/]  ({s.events} events, {result.source})")
        out.print(
            f"wall {_ms(s.wall_ms)} = model {_ms(s.model_ms)} + tools {_ms(s.tool_wall_ms)}"
            f" + permission {_ms(s.permission_wait_ms)} + idle {_ms(s.user_idle_ms)}"
            f" + startup {_ms(s.startup_ms)} + other {_ms(s.other_ms)}"
        )
        header = ["category", "calls", "fail", "total", "wall", "mean", "p50", "p90", "p99", "max"]
        rows = []
        for cat in s.categories:
            rows.append(cat)
            if cat.name == "MCP":
                rows += [_prefixed(m) for m in s.mcp_servers]
        rows += [x for x in (s.subagents, s.subagent_tools) if x is not None]
        cells = [
            [st.name, str(st.calls), str(st.failures), _ms(st.total_ms), _ms(st.wall_ms),
             _ms(st.mean_ms), _ms(st.p50_ms), _ms(st.p90_ms), _ms(st.p99_ms), _ms(st.max_ms)]
            for st in rows
        ]  # fmt: skip
        show_table(out, header, cells, right=list(range(1, len(header))))  # never cut a name
        if s.slowest_calls:
            slow = ", ".join(
                f"{c.tool_name} {_ms(c.duration_ms)}{' (failed)' if c.failed else ''}"
                for c in s.slowest_calls
            )
            out.print(f"slowest: {slow}")
        if s.tool_calls:
            out.print(
                f"around tools (hooks, permission prompts, Claude Code): {_ms(s.around_tools_ms)}"
            )
        if s.unfinished_calls:
            out.print(f"{s.unfinished_calls} call(s) started but never finished")
        if s.usage is not None:
            u = s.usage
            out.print(
                f"tokens: {u.input_tokens} in, {u.output_tokens} out, {u.cache_read_tokens} "
                f"cache read, {u.cache_write_tokens} cache write over {u.api_responses} responses"
            )
        out.print()
    if result.malformed_lines:
        out.print(f"{result.malformed_lines} malformed line(s) skipped in {result.path}")


def _prefixed(stats):
    return stats.model_copy(update={"name": f"  MCP {stats.name}"})


def exit_code(result: Any, opts: Any) -> int:
    return 0
