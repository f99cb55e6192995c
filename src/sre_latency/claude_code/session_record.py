"""One session's evidence joined into a ``SessionRecord`` and its ``Sample`` (pure, no I/O).

Sources, and what each is trusted for:

- Claude Code's result JSON: its own totals (turns, cost, usage, ``is_error``);
- OpenTelemetry ``api_request`` events: one per API call — model, duration, tokens, request id
  (its ``ttft_ms`` is to ``message_start``, not to the first token);
- the emulator's records, when emulated, joined on ``request_id``: the true TTFT of each call,
  its start on our clock, tools offered, and the requests that were no API call (probes);
- the hook log: each tool call with Claude Code's ``duration_ms``, permission waits; OTel
  ``tool_result`` fills in what the hook lacks (and its ``success``).

Times are ms after the launch. Hook and OTel stamps are wall clock (OTel to the ms), placed with
the launch's wall time; the emulator's are ``perf_counter_ns`` of this process, like the launch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sre_latency.claude_code.otlp_decode import MetricPoint, OtelEvent, flag, number
from sre_latency.claude_code.session_run import SessionOutput
from sre_latency.claude_code.timings import categorize, mcp_server_of
from sre_latency.core.contract import Sample, SampleError
from sre_latency.core.sessions import (
    ClaudeCodeResult,
    SessionApiCall,
    SessionRecord,
    SessionToolCall,
)
from sre_latency.errors import classify_http_status

Truth = dict[str, dict[str, Any]]  # emulator records by request_id


def _int(value: Any) -> int | None:
    n = number(value)
    return int(n) if n is not None else None


def api_calls(events: list[OtelEvent], out: SessionOutput, truth: Truth) -> list[SessionApiCall]:
    """Every ``api_request`` event as a call, in the order the calls started."""
    calls = []
    for e in events:
        if e.name != "api_request":
            continue
        a = e.attributes
        duration = number(a.get("duration_ms"))
        rid = a.get("request_id") if isinstance(a.get("request_id"), str) else None
        cc_ttft = number(a.get("ttft_ms"))
        rec = truth.get(rid or "")
        started = None
        if duration is not None and e.time_unix_nano:
            started = (e.time_unix_nano - out.launch_wall_ns) / 1e6 - duration
        ttft, source = (cc_ttft, "claude_code") if cc_ttft is not None else (None, None)
        if rec is not None:
            started = (rec["received_ns"] - out.launch_ns) / 1e6
            if rec.get("ttft_ms") is not None:
                ttft, source = float(rec["ttft_ms"]), "emulator"
        calls.append(SessionApiCall(
            request_id=rid, model=a.get("model"), provider=a.get("anthropic.provider"),
            query_source=a.get("query_source"), started_ms=started, duration_ms=duration,
            ttft_ms=ttft, ttft_source=source, claude_code_ttft_ms=cc_ttft,
            input_tokens=_int(a.get("input_tokens")), output_tokens=_int(a.get("output_tokens")),
            cache_read_tokens=_int(a.get("cache_read_tokens")),
            cache_write_tokens=_int(a.get("cache_creation_tokens")),
            cost_usd=number(a.get("cost_usd")),
        ))  # fmt: skip
    calls.sort(key=lambda c: (c.started_ms is None, c.started_ms or 0.0))
    return calls


def tool_calls(
    hook: list[dict], events: list[OtelEvent], out: SessionOutput
) -> list[SessionToolCall]:
    """Finished tool calls: from the hook's Post events, completed by OTel ``tool_result``."""
    otel = {e.attributes.get("tool_use_id"): e for e in events if e.name == "tool_result"}
    calls: list[SessionToolCall] = []
    seen: set[str] = set()
    for ev in hook:
        if ev.get("event") not in ("PostToolUse", "PostToolUseFailure") or ev.get("agent_id"):
            continue
        name = str(ev.get("tool_name") or "?")
        duration = number(ev.get("duration_ms"))
        end_ms = (ev["ts_ns"] - out.launch_wall_ns) / 1e6
        tid = ev.get("tool_use_id")
        twin = otel.get(tid)
        success = ev.get("event") == "PostToolUse"
        if twin is not None and flag(twin.attributes.get("success")) is not None:
            success = success and bool(flag(twin.attributes.get("success")))
        calls.append(_tool(name, ev.get("mcp_server"), tid, end_ms, duration, success))
        seen.add(str(tid))
    for tid, e in otel.items():  # calls the hook did not see (no hook, or it failed)
        if str(tid) in seen:
            continue
        a = e.attributes
        duration = number(a.get("duration_ms"))
        end_ms = (e.time_unix_nano - out.launch_wall_ns) / 1e6
        calls.append(_tool(str(a.get("tool_name") or "?"), None, tid, end_ms, duration,
                           flag(a.get("success"))))  # fmt: skip
    calls.sort(key=lambda c: c.started_ms if c.started_ms is not None else 0.0)
    return calls


def _tool(name: str, server: Any, tid: Any, end_ms: float, duration: float | None,
          success: bool | None) -> SessionToolCall:  # fmt: skip
    return SessionToolCall(
        tool_name=name, category=categorize(name), mcp_server=mcp_server_of(name, server),
        tool_use_id=tid if isinstance(tid, str) else None, duration_ms=duration,
        started_ms=end_ms - duration if duration is not None else None, success=success,
    )  # fmt: skip


def union_ms(intervals: list[tuple[float, float]]) -> float:
    """Length of the union of [start, end) intervals."""
    total, end = 0.0, float("-inf")
    for lo, hi in sorted(intervals):
        if hi <= end:
            continue
        total += hi - max(lo, end)
        end = hi
    return total


def claude_result(data: dict[str, Any] | None) -> ClaudeCodeResult | None:
    if data is None:
        return None
    usage = {k: float(v) for k, v in (data.get("usage") or {}).items()
             if isinstance(v, int | float) and not isinstance(v, bool)}  # fmt: skip
    status = data.get("api_error_status")
    return ClaudeCodeResult(
        is_error=data.get("is_error") if isinstance(data.get("is_error"), bool) else None,
        subtype=_str(data.get("subtype")), terminal_reason=_str(data.get("terminal_reason")),
        num_turns=_int(data.get("num_turns")), duration_ms=number(data.get("duration_ms")),
        duration_api_ms=number(data.get("duration_api_ms")), ttft_ms=number(data.get("ttft_ms")),
        total_cost_usd=number(data.get("total_cost_usd")),
        api_error_status=status if isinstance(status, int) else None, usage=usage,
        models=sorted(k for k in (data.get("modelUsage") or {}) if isinstance(k, str)),
    )  # fmt: skip


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def lines_of_code(metrics: list[MetricPoint]) -> tuple[int | None, int | None]:
    found = {"added": None, "removed": None}
    for m in metrics:
        kind = m.attributes.get("type")
        if m.name == "claude_code.lines_of_code.count" and kind in found and m.value is not None:
            found[kind] = int((found[kind] or 0) + m.value)
    return found["added"], found["removed"]


def outcome_of(out: SessionOutput, result: ClaudeCodeResult | None) -> str:
    if out.timed_out:
        return "timeout"
    if out.exit_code != 0 or result is None or result.is_error:
        return "error"
    return "ok"


def sample_of(record: SessionRecord) -> Sample:
    """The session as a sample: ``total_ms`` its wall time, ``ttft_ms`` launch → first token."""
    sums = {}
    for field in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"):
        values = [getattr(c, field) for c in record.api_calls if getattr(c, field) is not None]
        sums[field] = sum(values) if values else None
    return Sample(seq=record.seq, round=record.round, started_at=record.started_at,
                  ttft_ms=record.first_token_ms, total_ms=record.wall_ms,
                  error=_error(record), **sums)  # fmt: skip


def _error(record: SessionRecord) -> SampleError | None:
    if record.outcome == "ok":
        return None
    if record.outcome == "timeout":
        return SampleError(class_="timeout", message="the session outlived --max-session-s")
    status = record.result.api_error_status if record.result else None
    if status:
        return SampleError(class_=classify_http_status(status), status=status,
                           message=f"Claude Code ended on an API error {status}")  # fmt: skip
    return SampleError(class_="protocol", message=f"Claude Code exited {record.exit_code} "
                       "without a successful result")  # fmt: skip


def started_at(out: SessionOutput) -> datetime:
    return datetime.fromtimestamp(out.launch_wall_ns / 1e9, UTC)


def build_record(seq: int, round_: int, out: SessionOutput, events: list[OtelEvent],
                 metrics: list[MetricPoint], hook: list[dict],
                 records: list[dict] | None) -> SessionRecord:  # fmt: skip
    """The ``SessionRecord`` of one session; ``records``: the emulator's of this session, or
    None when the providers were real."""
    truth = {r["request_id"]: r for r in records or [] if r.get("request_id")}
    result = claude_result(out.result)
    calls = api_calls(events, out, truth)
    tools = tool_calls(hook, events, out)
    added, removed = lines_of_code(metrics)
    record = SessionRecord(
        seq=seq, round=round_, started_at=started_at(out),
        session_id=_str((out.result or {}).get("session_id")), outcome=outcome_of(out, result),
        exit_code=out.exit_code, wall_ms=out.wall_ms,
        startup_ms=calls[0].started_ms if calls else None,
        first_token_ms=_first_token_ms(calls, truth, out),
        model_ms=sum(c.duration_ms or 0.0 for c in calls),
        tool_ms=union_ms([(t.started_ms, t.started_ms + t.duration_ms) for t in tools
                          if t.started_ms is not None and t.duration_ms is not None]),
        permission_denials=len((out.result or {}).get("permission_denials") or []),
        api_errors=sum(1 for e in events if e.name == "api_error"),
        api_calls=calls, tool_calls=tools, result=result, lines_added=added,
        lines_removed=removed, otel_events=len(events), notes=list(out.notes),
    )  # fmt: skip
    _permissions(record, hook)
    if records is not None:
        joined = {c.request_id for c in calls}
        record.side_requests = sum(1 for r in records if r.get("request_id") not in joined)
        first = truth.get(calls[0].request_id or "") if calls else None
        record.tools_offered = first.get("tools_offered") if first else None
    if not events and out.result is not None:
        record.notes.append("no OpenTelemetry events arrived for this session")
    return record


def _first_token_ms(calls: list[SessionApiCall], truth: Truth, out: SessionOutput) -> float | None:
    for call in calls:  # in start order: the first call that produced content
        rec = truth.get(call.request_id or "")
        if rec is not None and rec.get("first_content_ns"):
            return (rec["first_content_ns"] - out.launch_ns) / 1e6
        if rec is None and call.started_ms is not None and call.ttft_ms is not None:
            return call.started_ms + call.ttft_ms
    return None


def _permissions(record: SessionRecord, hook: list[dict]) -> None:
    if not any(e.get("event") == "PermissionRequest" for e in hook):
        return
    from sre_latency.claude_code.hook_log import SessionEvents
    from sre_latency.claude_code.timings import analyze_session

    timings = analyze_session(record.session_id or "", SessionEvents.from_dicts(hook))
    record.permission_wait_ms = timings.permission_wait_ms
    record.permission_requests = timings.permission_requests
