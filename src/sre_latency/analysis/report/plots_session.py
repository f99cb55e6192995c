"""The session timeline plot: one row per session, API calls and tool calls as bars on the
session's own clock (launch = 0), so where each session spent its time shows at a glance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sre_latency.analysis.report.plots import _figure, _png

if TYPE_CHECKING:
    from sre_latency.core.sessions import SessionRecord

MODEL_COLOUR, TOOL_COLOUR, WALL_COLOUR = "#1f77b4", "#ff7f0e", "#dddddd"


def session_timeline(sessions: list[tuple[str, SessionRecord]]) -> bytes | None:
    """Rows of (label, session) in run order; None when there is nothing to draw."""
    if not sessions:
        return None
    fig = _figure(8.0, 1.2 + 0.32 * len(sessions))
    ax = fig.add_subplot()
    for row, (_, s) in enumerate(sessions):
        y = (row - 0.4, 0.8)
        ax.broken_barh([(0, s.wall_ms / 1000)], y, color=WALL_COLOUR)
        calls = [(c.started_ms / 1000, c.duration_ms / 1000) for c in s.api_calls
                 if c.started_ms is not None and c.duration_ms is not None]  # fmt: skip
        tools = [(t.started_ms / 1000, t.duration_ms / 1000) for t in s.tool_calls
                 if t.started_ms is not None and t.duration_ms is not None]  # fmt: skip
        ax.broken_barh(calls, (row - 0.3, 0.6), color=MODEL_COLOUR)
        ax.broken_barh(tools, (row - 0.15, 0.3), color=TOOL_COLOUR)
    ax.set_yticks(range(len(sessions)), [f"{label} r{s.round}" for label, s in sessions])
    ax.invert_yaxis()
    ax.set_xlabel("seconds after the launch of claude -p")
    ax.set_title("Each session: API calls (blue), tool calls (orange), the rest (grey)")
    ax.grid(alpha=0.3, axis="x")
    return _png(fig)
