"""Where the time went in a Claude Code session (the accounting of ``tool_timings``): model vs Bash vs MCP vs built-in tools.

Reads the hook log (``claude_config/sre-latency-hook``) or, without it, a transcript. Tool
durations are Claude Code's own ``duration_ms`` (from Post events). Model time is derived from
the gaps between events of the main thread: it starts at ``UserPromptSubmit`` and at the end of
each tool batch (``PostToolBatch`` when the log has it, else each Post event) and ends at the next
``PreToolUse`` or ``Stop``. Permission prompts (``PermissionRequest`` → the tool's start) and the
user's idle time between turns are kept apart. Parallel tool calls are merged as an interval union
for wall accounting, so nothing is counted twice. Subagent work (events with an ``agent_id``) is
reported apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from sre_latency.claude_code.accounting import Calls
    from sre_latency.claude_code.hook_log import SessionEvents

Category = Literal["Model", "Bash", "MCP", "Agent", "Built-in"]
CATEGORY_ORDER: tuple[Category, ...] = ("Model", "Bash", "MCP", "Agent", "Built-in")


class TimingStats(BaseModel):
    """Durations of one kind of work; ``wall_ms`` counts overlapping (parallel) calls once."""

    name: str
    calls: int
    failures: int = 0
    total_ms: float
    wall_ms: float
    mean_ms: float | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None


class ToolCall(BaseModel):
    """One tool call (the slowest ones are listed)."""

    tool_name: str
    category: Category
    mcp_server: str | None = None
    tool_use_id: str | None = None
    duration_ms: float
    started_at_s: float = Field(description="seconds after the session's first event")
    failed: bool = False
    agent_id: str | None = None


class TokenUsage(BaseModel):
    """Token usage summed over the session's API responses (transcripts only)."""

    api_responses: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int


class SessionTimings(BaseModel):
    """One session's wall time, split into model, tools, permission waits, idle and the rest."""

    session_id: str
    events: int
    wall_ms: float
    model_ms: float
    tool_wall_ms: float = Field(description="time with at least one main-thread tool running")
    tool_total_ms: float = Field(description="sum of tool durations (parallel calls add up)")
    permission_wait_ms: float
    permission_requests: int
    user_idle_ms: float = Field(description="from Stop to the next prompt")
    startup_ms: float = Field(description="from SessionStart to the first prompt")
    other_ms: float = Field(
        description="wall time in none of the above (hooks, Claude Code's own work, shutdown)"
    )
    around_tools_ms: float = Field(
        description="PreToolUse → PostToolUse time outside the tools' own duration_ms: "
        "hooks, permission prompts and Claude Code's own work around each call"
    )
    tool_calls: int
    failures: int
    unfinished_calls: int = Field(description="PreToolUse without a Post event")
    categories: list[TimingStats]
    mcp_servers: list[TimingStats]
    subagents: TimingStats | None = None
    subagent_tools: TimingStats | None = None
    slowest_calls: list[ToolCall]
    usage: TokenUsage | None = None
    summary: str


class ToolTimingsResult(BaseModel):
    """The accounted sessions (most recent first) and what was read to account for them."""

    source: Literal["hook_log", "transcript"]
    path: str
    lines_read: int
    malformed_lines: int
    sessions: list[SessionTimings]
    notes: list[str] = []
    summary: str


def timings_result(source, path, lines_read, malformed, sessions, notes) -> ToolTimingsResult:
    head = sessions[0].summary
    if len(sessions) > 1:
        head = f"{len(sessions)} sessions, latest {head}"
    skipped = f"; {malformed} malformed line(s) skipped" if malformed else ""
    return ToolTimingsResult(
        source=source, path=str(path), lines_read=lines_read, malformed_lines=malformed,
        sessions=sessions, notes=notes, summary=head + skipped,
    )  # fmt: skip


def categorize(tool_name: str) -> Category:
    if tool_name == "Bash":
        return "Bash"
    if tool_name.startswith("mcp__"):
        return "MCP"
    if tool_name in ("Agent", "Task"):
        return "Agent"
    return "Built-in"


def mcp_server_of(tool_name: str, logged: Any) -> str | None:
    if isinstance(logged, str) and logged:
        return logged
    if tool_name.startswith("mcp__"):
        return tool_name[5:].partition("__")[0] or None
    return None


def analyze_session(session_id: str, events: SessionEvents) -> SessionTimings:
    """Account for one session's events (sorted by ``ts_ns``)."""
    import numpy as np

    from sre_latency.claude_code.accounting import scan

    found = scan(events)
    calls = found.calls
    # session start: the first event, or earlier when a tool began before it was logged
    t0: int | float = int(events.ts_ns[0]) if len(events) else 0
    if len(calls) and (earliest := float(calls.start_ns.min())) < t0:
        t0 = earliest
    wall_ms = (int(events.ts_ns[-1]) - t0) / 1e6 if len(events) else 0.0
    names = _call_names(events, calls)
    category = np.array([categorize(n) for n in names] or [""], dtype=object)
    main = calls.subset(calls.agent < 0)
    sub = calls.subset(calls.agent >= 0)
    main_category = category[main.name + 1] if len(main) else np.zeros(0, object)
    categories = [_stats("Model", found.model_gaps, None, 0)]
    categories += [_call_stats(cat, main.subset(main_category == cat))
                   for cat in CATEGORY_ORDER[1:] if (main_category == cat).any()]  # fmt: skip
    model_ms = float(found.model_gaps.sum())
    tool_wall_ms = _union_ms(main)
    permission_ms = sum(found.perm_waits)
    idle_ms = float(found.idle_gaps.sum())
    startup_ms = 0.0
    if found.session_start is not None and found.first_prompt is not None:
        startup_ms = max(0.0, (found.first_prompt - found.session_start) / 1e6)
    known = model_ms + tool_wall_ms + permission_ms + idle_ms + startup_ms
    servers = _servers(events, calls, names)
    mcp = main_category == "MCP"
    main_servers = servers[calls.agent < 0][mcp]
    slowest = _five_slowest(calls.duration_ms)
    lo, hi = found.subagent_spans
    timings = SessionTimings(
        session_id=session_id,
        events=len(events),
        wall_ms=wall_ms,
        model_ms=model_ms,
        tool_wall_ms=tool_wall_ms,
        tool_total_ms=float(main.duration_ms.sum()),
        permission_wait_ms=permission_ms,
        permission_requests=found.permission_requests,
        user_idle_ms=idle_ms,
        startup_ms=startup_ms,
        other_ms=max(0.0, wall_ms - known),
        around_tools_ms=found.around_tools_ms,
        tool_calls=len(main),
        failures=int(main.failed.sum()),
        unfinished_calls=found.unfinished,
        categories=categories,
        mcp_servers=[_call_stats(name, main.subset(mcp).subset(main_servers == name))
                     for name in sorted(set(main_servers.tolist()))],
        subagents=_stats("Subagents", hi - lo, (lo * 1e6, hi * 1e6), 0) if len(lo) else None,
        subagent_tools=_call_stats("Subagent tools", sub) if len(sub) else None,
        slowest_calls=[_public(events, calls, i, names, category, t0) for i in slowest],
        summary="",
    )  # fmt: skip
    timings.summary = session_summary(timings)
    return timings


def _five_slowest(duration_ms) -> list[int]:
    """Indices of the five longest calls, longest first; among equal ones the earliest first."""
    import numpy as np

    if len(duration_ms) > 5:
        fifth = np.partition(duration_ms, len(duration_ms) - 5)[len(duration_ms) - 5]
        candidates = np.flatnonzero(duration_ms >= fifth)
    else:
        candidates = np.arange(len(duration_ms))
    order = np.argsort(-duration_ms[candidates], kind="stable")
    return candidates[order[:5]].tolist()


def _call_names(events: SessionEvents, calls: Calls) -> list[str]:
    """Names by tool_name code + 1 (index 0: no name); an empty or missing name is "?"."""
    used = set(calls.name.tolist())
    table = events.tables["tool_name"]
    return ["?"] + [(table[c] or "?") if c in used else "?" for c in range(len(table))]


def _servers(events: SessionEvents, calls: Calls, names: list[str]):
    """Each call's MCP server (as logged, else from the tool's name; "?" when unknown), worked
    out once per distinct (tool, logged server); None for other tools."""
    import numpy as np

    servers = np.full(len(calls), None, dtype=object)
    width = len(events.tables["mcp_server"]) + 1
    pairs, inverse = np.unique(calls.name.astype(np.int64) * width + calls.mcp_server + 1,
                               return_inverse=True)  # fmt: skip
    for j, pair in enumerate(pairs.tolist()):
        tool = names[pair // width + 1]
        if categorize(tool) == "MCP":
            logged = events.text("mcp_server", pair % width - 1)
            servers[inverse == j] = mcp_server_of(tool, logged) or "?"
    return servers


def _server_of(events: SessionEvents, calls: Calls, i: int, names: list[str]) -> str | None:
    tool = names[calls.name[i] + 1]
    if categorize(tool) != "MCP":
        return None
    return mcp_server_of(tool, events.text("mcp_server", int(calls.mcp_server[i])))


def _public(events, calls: Calls, i: int, names, category, t0: float) -> ToolCall:
    start = float(calls.start_ns[i])
    return ToolCall(
        tool_name=names[calls.name[i] + 1],
        category=category[calls.name[i] + 1],
        mcp_server=_server_of(events, calls, i, names),
        tool_use_id=events.text("tool_use_id", int(calls.tool_use_id[i])),
        duration_ms=float(calls.duration_ms[i]),
        started_at_s=max(0.0, (start - t0) / 1e9),
        failed=bool(calls.failed[i]),
        agent_id=events.text("agent_id", int(calls.agent[i])),
    )


def _union_ms(calls: Calls) -> float:
    from sre_latency.claude_code.accounting import union_ms

    return union_ms(calls.start_ns, calls.start_ns + calls.duration_ms * 1e6)


def _call_stats(name: str, calls: Calls) -> TimingStats:
    intervals = (calls.start_ns, calls.start_ns + calls.duration_ms * 1e6)
    return _stats(name, calls.duration_ms, intervals, int(calls.failed.sum()))


def _stats(name: str, durations, intervals_ns, failures: int) -> TimingStats:
    """``intervals_ns`` (lo, hi arrays) gives the wall time; without it, wall = total."""
    if not len(durations):
        return TimingStats(name=name, calls=0, total_ms=0.0, wall_ms=0.0)
    import numpy as np

    from sre_latency.claude_code.accounting import union_ms
    from sre_latency.core.stats import linear_percentile

    values = np.asarray(durations, dtype=float)
    total = float(values.sum())
    ordered = np.sort(values)
    p50, p90, p99 = (linear_percentile(ordered, q) for q in (50, 90, 99))
    return TimingStats(
        name=name, calls=len(values), failures=failures, total_ms=total,
        wall_ms=union_ms(*intervals_ns) if intervals_ns is not None else total,
        mean_ms=total / len(values), p50_ms=p50, p90_ms=p90, p99_ms=p99,
        max_ms=float(values.max()),
    )  # fmt: skip


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.1f}s"


def session_summary(t: SessionTimings) -> str:
    parts = [f"session {t.session_id[:8]}: wall {_seconds(t.wall_ms)}"]
    for cat in t.categories:
        if cat.name == "Model":
            parts.append(f"Model {_seconds(cat.total_ms)} ({cat.calls} turns)")
        elif cat.calls:
            parts.append(f"{cat.name} {cat.calls}x {_seconds(cat.total_ms)}")
    if t.permission_requests:
        parts.append(f"permission wait {_seconds(t.permission_wait_ms)}")
    if t.failures:
        parts.append(f"{t.failures} failed")
    if t.subagents:
        parts.append(f"subagents {t.subagents.calls}x {_seconds(t.subagents.total_ms)}")
    return ", ".join(parts)
