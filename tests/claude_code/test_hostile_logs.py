"""Hook logs and transcripts with hostile lines: each bad line is skipped and counted, the rest
of the session is read as if it were not there (issue 12)."""

from __future__ import annotations

import json

import pytest

from calls import tool_timings
from fixtures.claude_code.hook_replay import FIXTURES, fixture_lines, replay

BAD_HOOK_LINES = {
    "deep": lambda sid: '{"session_id":"' + sid + '","event":"Stop","x":' + "[" * 3000,
    "deep-closed": lambda sid: '{"session_id":"' + sid + '","ts_ns":1,"event":"Stop","x":'
    + "[" * 3000 + "]" * 3000 + "}",
    "not-utf8": lambda sid: '{"session_id":"' + sid + '","event":"\udcff"}',
    "null-bytes": lambda sid: '{"session_id":"' + sid + '"\x00\x00}',
    "huge-ts": lambda sid: '{"ts_ns":1' + "0" * 400 + ',"session_id":"' + sid + '","event":"Stop"}',
    "types": lambda sid: '{"ts_ns":[],"session_id":"' + sid + '","event":{},"tool_name":[1]}',
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BAD_HOOK_LINES))
def test_a_hostile_hook_log_line_is_skipped_and_counted(tmp_path, name):
    records = fixture_lines("a1-session-events.jsonl")
    log = replay(records, tmp_path, tmp_path)
    clean = tool_timings(log_path=log).sessions[0]
    sid = records[0]["payload"]["session_id"]
    with log.open("ab") as f:
        f.write(BAD_HOOK_LINES[name](sid).encode("utf-8", "surrogateescape") + b"\n")
    result = tool_timings(log_path=log)
    assert result.malformed_lines == 1
    (s,) = result.sessions
    assert (s.events, s.model_ms, s.wall_ms) == (clean.events, clean.model_ms, clean.wall_ms)


BAD_TRANSCRIPT_LINES = [
    '{"type":"assistant","timestamp":"2025-01-01T00:00:00Z","message":{"id":[],"usage":{}}}',
    '{"type":"assistant","timestamp":"2025-01-01T00:00:00Z","message":{"id":{},"content":'
    '[{"type":"tool_use","id":[],"name":{}}],"usage":{"input_tokens":true}},"requestRef":[]}',
    '{"type":"user","timestamp":"2025-01-01T00:00:00Z","message":{"content":[{"type":'
    '"tool_result","tool_use_id":{}}]},"isSidechain":true,"agentId":[]}',
]


def test_transcript_entries_of_the_wrong_types_do_not_stop_the_reading(tmp_path):
    lines = (FIXTURES / "transcript_bash_read_mcp.jsonl").read_text().splitlines()
    clean = tool_timings(from_transcript=FIXTURES / "transcript_bash_read_mcp.jsonl")
    odd = tmp_path / "odd.jsonl"
    odd.write_text("\n".join([*BAD_TRANSCRIPT_LINES, *lines]) + "\n")
    (s,) = tool_timings(from_transcript=odd).sessions
    assert {c.name: c.calls for c in s.categories} == {
        c.name: c.calls for c in clean.sessions[0].categories
    }


def test_a_deeply_nested_transcript_line_is_skipped_and_counted(tmp_path):
    lines = (FIXTURES / "transcript_bash_read_mcp.jsonl").read_text().splitlines()
    deep = tmp_path / "deep.jsonl"
    deep.write_text("\n".join([*lines, '{"type":"user","x":' + "[" * 3000 + "]" * 3000 + "}",
                               "[" * 3000]) + "\n")  # fmt: skip
    result = tool_timings(from_transcript=deep)
    assert result.malformed_lines == 2
    assert result.sessions[0].events > 0


def test_an_otlp_export_with_a_400_digit_count_is_counted_undecodable_not_raised():
    from sre_latency.claude_code.otlp import Export
    from sre_latency.claude_code.otlp_decode import decode, number

    point = {"asInt": 10**400, "attributes": [{"key": "n", "value": {"intValue": "9" * 400}}]}
    body = {"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"name": "x", "sum": {
        "dataPoints": [point]}}]}]}]}  # fmt: skip
    export = Export("/v1/metrics", "application/json", "", json.dumps(body).encode(), 0)
    assert decode([export]).undecodable == 1
    assert number(10**400) is None and number("1e5") == 1e5


def test_a_bad_line_naming_two_sessions_is_one_malformed_line(tmp_path):
    """Found by benchmarks/fuzz.py: such a line was counted once per session it named."""
    from sre_latency.claude_code.hook_log import read_log

    log = tmp_path / "tool-latency.jsonl"
    good = b'{"v":1,"ts_ns":1795421670649099299,"session_id":"%s","event":"Stop"}'
    log.write_bytes(b"\n".join([good % b"a", good % b"b",
                                b'{"session_id":"a","session_id":"b","ts_ns":[[[]]]}']) + b"\n")  # fmt: skip
    found = read_log(log, last=2)
    assert (found.lines_read, found.malformed_lines) == (3, 1)
    assert sorted(found.sessions) == ["a", "b"]
