"""Turn a Claude Code transcript (``~/.claude/projects/<dir>/<session>.jsonl``) into hook-like events.

For sessions recorded without the hook. Each transcript entry carries an ISO timestamp (ms
resolution) written when Claude Code stored it:

- a user entry with a prompt            → ``UserPromptSubmit``
- an assistant ``tool_use`` block         → ``PreToolUse`` (when the block was received)
- a user ``tool_result`` block            → ``PostToolUse`` / ``PostToolUseFailure`` with
  ``duration_ms`` = result time − tool_use time (so it includes any permission prompt)
- an assistant entry that ends the turn   → ``Stop``

Token usage is summed once per API response. Sidechain (subagent) entries are tagged with an
``agent_id`` so they are kept apart, as the hook does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sre_latency.errors import ConfigError

_END_REASONS = ("end_turn", "stop_sequence", "max_tokens", "refusal")


@dataclass
class TranscriptUsage:
    api_responses: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass
class TranscriptEvents:
    session_id: str
    events: list[dict[str, Any]] = field(default_factory=list)
    usage: TranscriptUsage = field(default_factory=TranscriptUsage)
    lines_read: int = 0
    malformed_lines: int = 0


def read_transcript(path: Path) -> TranscriptEvents:
    """Events and usage of one transcript file; malformed lines are skipped and counted."""
    path = Path(path)
    try:
        raw_lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        raise ConfigError(f"Transcript {path} does not exist.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read the transcript {path}: {exc.strerror}.") from None
    result = TranscriptEvents(session_id=path.stem, lines_read=len(raw_lines))
    tool_started: dict[str, tuple[int, str]] = {}
    seen_responses: set[tuple[Any, Any]] = set()
    entries = 0  # user and assistant entries read
    for raw in raw_lines:
        try:
            entry = json.loads(raw)
            if not isinstance(entry, dict):
                raise ValueError("not an object")
        except (ValueError, RecursionError):  # not JSON, not UTF-8, absurdly nested
            result.malformed_lines += 1
            continue
        kind = entry.get("type")
        if kind not in ("user", "assistant"):
            continue
        ts_ns = _ts_ns(entry.get("timestamp"))
        message = entry.get("message")
        if ts_ns is None or not isinstance(message, dict):
            result.malformed_lines += 1
            continue
        entries += 1
        if isinstance(entry.get("sessionId"), str):
            result.session_id = entry["sessionId"]
        base = {"ts_ns": ts_ns, "session_id": result.session_id}
        if entry.get("isSidechain"):
            base["agent_id"] = _text(entry.get("agentId")) or "sidechain"
        if kind == "assistant":
            _assistant(entry, message, base, result, tool_started, seen_responses)
        else:
            _user(entry, message, base, result, tool_started)
    if not entries:  # e.g. a hook log or another program's JSONL: say so, never show 0 ms
        raise ConfigError(
            f"{path} is not a Claude Code transcript: none of its {len(raw_lines)} lines is a "
            "user or assistant entry with a timestamp; give a session's .jsonl file from "
            "~/.claude/projects/."
        )
    result.events.sort(key=lambda e: e["ts_ns"])  # stable: entries are mostly in order already
    return result


def _assistant(entry, message, base, result, tool_started, seen_responses) -> None:
    content = message.get("content")
    blocks = content if isinstance(content, list) else []
    uses = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use"]
    for block in uses:
        tool_id, name = _text(block.get("id")) or "", _text(block.get("name")) or ""
        tool_started[tool_id] = (base["ts_ns"], name)
        result.events.append({**base, "event": "PreToolUse", "tool_name": name,
                              "tool_use_id": tool_id, **_mcp(name)})  # fmt: skip
    if not uses and message.get("stop_reason") in (*_END_REASONS, None):
        result.events.append({**base, "event": "Stop"})
    usage = message.get("usage")
    key = (_text(message.get("id")), _text(entry.get("requestRef")))  # hashable whatever JSON
    if isinstance(usage, dict) and key not in seen_responses:
        seen_responses.add(key)
        totals = result.usage
        totals.api_responses += 1
        totals.input_tokens += _int(usage.get("input_tokens"))
        totals.output_tokens += _int(usage.get("output_tokens"))
        totals.cache_read_tokens += _int(usage.get("cache_read_input_tokens"))
        totals.cache_write_tokens += _int(usage.get("cache_creation_input_tokens"))


def _user(entry, message, base, result, tool_started) -> None:
    content = message.get("content")
    results = [
        b for b in (content if isinstance(content, list) else [])
        if isinstance(b, dict) and b.get("type") == "tool_result"
    ]  # fmt: skip
    for block in results:
        tool_id = _text(block.get("tool_use_id")) or ""
        started = tool_started.pop(tool_id, None)
        if started is None:
            continue
        start_ns, name = started
        failed = bool(block.get("is_error"))
        event = {**base, "event": "PostToolUseFailure" if failed else "PostToolUse",
                 "tool_name": name, "tool_use_id": tool_id,
                 "duration_ms": max(0.0, (base["ts_ns"] - start_ns) / 1e6), **_mcp(name)}  # fmt: skip
        if failed:
            event["failed"] = True
        result.events.append(event)
    if not results and not entry.get("isMeta") and _is_prompt(content):
        result.events.append({**base, "event": "UserPromptSubmit"})


def _is_prompt(content: Any) -> bool:
    if isinstance(content, str):
        return bool(content.strip())
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") in ("text", "image") for b in content
    )


def _mcp(tool_name: str) -> dict[str, str]:
    if tool_name.startswith("mcp__"):
        server = tool_name[5:].partition("__")[0]
        if server:
            return {"mcp_server": server}
    return {}


def _ts_ns(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return int(moment.timestamp() * 1_000_000) * 1000


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def claude_config_dir() -> Path:
    """Claude Code's config dir (``$CLAUDE_CONFIG_DIR`` or ``~/.claude``), where transcripts live."""
    import os

    return Path(os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude").expanduser()
