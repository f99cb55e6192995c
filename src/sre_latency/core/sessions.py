"""The per-session part of the data contract: what a ``session`` run keeps of each Claude Code
session (docs/contract.md#session-runs).

A session run's targets (``anthropic``, ``bedrock``, …) hold one ``Sample`` per session, so
grade, compare and report read it like any run (``total_ms`` is the session's wall time,
``ttft_ms`` the time from launch to the session's first token), and one ``SessionRecord`` per
session in ``ProviderResult.sessions`` with everything else: Claude Code's own result figures,
every API call (from its OpenTelemetry ``api_request`` events) and every tool call (from the
hook log and ``tool_result`` events). Keys, prompts, tool input and output are never stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SessionOutcome = Literal["ok", "error", "timeout"]
TtftSource = Literal["emulator", "claude_code"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionApiCall(_Model):
    """One model request of a session (one OTel ``api_request`` event). Times in ms."""

    request_id: str | None = None
    model: str | None = None
    provider: str | None = None  # Claude Code's anthropic.provider: firstParty, bedrock, …
    query_source: str | None = None  # Claude Code's: sdk (the main loop), agents, …
    started_ms: float | None = None  # after the launch: the event's time − its duration
    duration_ms: float | None = None  # Claude Code's: request sent → end of stream (last try)
    ttft_ms: float | None = None  # request → first content delta (see ttft_source)
    ttft_source: TtftSource | None = None  # emulator: its recorded truth; claude_code: its own
    claude_code_ttft_ms: float | None = None  # Claude Code's ttft_ms: request → message_start
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    cost_usd: float | None = None


class SessionToolCall(_Model):
    """One tool call of a session; ``duration_ms`` is Claude Code's own measure of the tool."""

    tool_name: str
    category: str  # Bash | MCP | Agent | Built-in
    mcp_server: str | None = None
    tool_use_id: str | None = None
    started_ms: float | None = None  # after the launch
    duration_ms: float | None = None
    success: bool | None = None


class ClaudeCodeResult(_Model):
    """The figures of ``claude -p --output-format json`` (its ``result`` text is not kept)."""

    is_error: bool | None = None
    subtype: str | None = None
    terminal_reason: str | None = None
    num_turns: int | None = None
    duration_ms: float | None = None
    duration_api_ms: float | None = None
    ttft_ms: float | None = None  # Claude Code's: turn start → first complete content block
    total_cost_usd: float | None = None
    api_error_status: int | None = None
    usage: dict[str, float] = Field(default_factory=dict)  # its numeric usage fields
    models: list[str] = Field(default_factory=list)  # the keys of its modelUsage


class SessionRecord(_Model):
    """One Claude Code session, launch to exit. Times in ms after the launch unless named."""

    seq: int
    round: int
    started_at: datetime
    session_id: str | None = None  # Claude Code's session id
    outcome: SessionOutcome = "ok"
    exit_code: int | None = None
    wall_ms: float  # launch → exit of ``claude -p``
    startup_ms: float | None = None  # launch → first API request sent
    first_token_ms: float | None = None  # launch → the session's first content delta
    model_ms: float = 0.0  # the API calls' durations, summed
    tool_ms: float = 0.0  # wall time with at least one tool running
    permission_wait_ms: float = 0.0
    permission_requests: int = 0
    permission_denials: int = 0
    api_errors: int = 0  # OTel api_error events (failed attempts Claude Code saw)
    api_calls: list[SessionApiCall] = Field(default_factory=list)
    tool_calls: list[SessionToolCall] = Field(default_factory=list)
    side_requests: int | None = None  # emulated: requests that were not API calls (probes…)
    tools_offered: int | None = None  # emulated: tools offered in the session's first turn
    success: bool | None = None  # the task's check passed (None: not run)
    check_exit_code: int | None = None
    result: ClaudeCodeResult | None = None
    lines_added: int | None = None  # OTel claude_code.lines_of_code.count
    lines_removed: int | None = None
    otel_events: int = 0
    notes: list[str] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)


def session_slo_table():
    """The default grading table of a session run (its samples are whole sessions): the time
    from launch to the first token, the session's wall time, and the share of failed sessions.
    A starting point for a small task; pass ``--slo`` with bounds for your own tasks."""
    from sre_latency.core.slo import SloRule, SloTable

    rules = (
        SloRule("ttft_ms", "p50", (2000, 4000, 8000, 15000), "session default"),
        SloRule("total_ms", "p50", (60_000, 120_000, 300_000, 600_000), "session default"),
        SloRule("total_ms", "p90", (120_000, 240_000, 600_000, 1_200_000), "session default"),
        SloRule("error_rate", None, (0.0, 0.05, 0.10, 0.20), "session default"),
    )
    return SloTable(rules=rules, goodput={"ttft_ms": 8000.0, "total_ms": 300_000.0},
                    source="session default")  # fmt: skip
