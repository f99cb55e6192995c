"""The ``tool_timings`` tool: where the time went in a Claude Code session.

Reads the hook log (or, for a session recorded without the hook, a transcript) and accounts for
the session's wall time: model time vs Bash, MCP (per server), Agent and built-in tools, with
permission waits and subagents apart (``claude_code.timings``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field

from sre_latency.errors import ConfigError
from sre_latency.store import RunStore
from sre_latency.tools.options import Face, Options

DESCRIPTION = """\
Where the time went in a Claude Code session: model time vs Bash, MCP (per server), Agent and
built-in tools (Read, Edit, Grep…), with calls, total, p50/p90/p99 and the slowest calls;
permission waits and subagents apart. Use it when someone asks why Claude Code feels slow.
Reads the local hook log (or a transcript); costs nothing."""


class ToolTimingsOptions(Options):
    session: Annotated[str | None, Face(metavar="ID")] = Field(
        None, description="a Claude Code session id (or a unique prefix); default: the current "
        "session (CLAUDE_CODE_SESSION_ID), else the latest in the log",
    )  # fmt: skip
    last: Annotated[int | None, Face(metavar="N", agent_le=100)] = Field(
        None, ge=1, le=100_000, description="instead: the N most recent sessions"
    )
    from_transcript: Annotated[str | None, Face(metavar="FILE")] = Field(
        None,
        description="read this Claude Code transcript instead of the hook log, for sessions "
        "recorded without the hook: a session's .jsonl under ~/.claude (or $CLAUDE_CONFIG_DIR), "
        "e.g. 'projects/<project>/<session-id>.jsonl'",
    )
    log: Annotated[
        str | None,
        Face(metavar="FILE", only="cli", why_only="an arbitrary file path is for the shell user"),
    ] = Field(None, description="hook log (default: $SRE_LATENCY_HOME/claude/tool-latency.jsonl)")


def run(opts: ToolTimingsOptions, *, store: RunStore | None = None, confined: bool = False):
    """Account for the chosen sessions (see ``ToolTimingsOptions``)."""
    from sre_latency.claude_code.hook_log import SessionEvents, default_log_path, read_log
    from sre_latency.claude_code.timings import TokenUsage, analyze_session, timings_result
    from sre_latency.claude_code.transcript import claude_config_dir, read_transcript
    from sre_latency.store.resolve import file_under

    chosen = [f"--{k.replace('_', '-')}" for k in ("session", "last", "from_transcript")
              if getattr(opts, k)]  # fmt: skip
    if len(chosen) > 1:
        raise ConfigError(f"{' and '.join(chosen)} each choose what to read; pass only one.")
    if opts.from_transcript is not None:
        path = (
            file_under(claude_config_dir(), opts.from_transcript, ".jsonl", "transcript")
            if confined else Path(opts.from_transcript).expanduser()
        )  # fmt: skip
        parsed = read_transcript(path)
        timings = analyze_session(parsed.session_id, SessionEvents.from_dicts(parsed.events))
        timings.usage = TokenUsage(**vars(parsed.usage))
        return timings_result("transcript", path, parsed.lines_read, parsed.malformed_lines,
                              [timings], [])  # fmt: skip
    log = Path(opts.log).expanduser() if opts.log else default_log_path()
    current = None if opts.last else os.environ.get("CLAUDE_CODE_SESSION_ID") or None
    selection = read_log(log, session=opts.session, last=opts.last, current_session=current)
    sessions = [analyze_session(sid, events) for sid, events in selection.sessions.items()]
    return timings_result("hook_log", log, selection.lines_read, selection.malformed_lines,
                          sessions, selection.notes)  # fmt: skip


OPTIONS = ToolTimingsOptions
RESULT = "sre_latency.claude_code.timings:ToolTimingsResult"
