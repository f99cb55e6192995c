"""tool_timings over hook logs written by the real hook, and over a real transcript."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from calls import tool_timings
from fixtures.claude_code.hook_replay import (
    FIXTURES,
    fake_date_dir,
    fixture_lines,
    payload_like,
    replay,
    run_hook,
)
from sre_latency.claude_code.hook_log import SessionEvents, read_log
from sre_latency.claude_code.hook_log_fast import PADDING, parse_canonical
from sre_latency.cli import main
from sre_latency.errors import ConfigError

MS = 1_000_000  # ns


def _play(home: Path, tmp_path: Path, steps: list[tuple[int, dict]]) -> Path:
    """Run the hook for each (ms offset, payload)."""
    fake_bin = fake_date_dir(tmp_path)
    for offset_ms, payload in steps:
        run_hook(payload, home, ts_ns=10**18 + offset_ms * MS, fake_bin=fake_bin)
    return home / "claude" / "tool-latency.jsonl"


def _by_name(timings) -> dict:
    return {c.name: c for c in timings.categories}


def test_real_session_model_time_is_the_gaps_around_the_bash_call(tmp_path):
    records = fixture_lines("a1-session-events.jsonl")
    log = replay(records, tmp_path, tmp_path)
    ts = {r["payload"]["hook_event_name"]: r["ts_ns"] for r in records}
    result = tool_timings(log_path=log)
    (s,) = result.sessions
    expected_model_ns = (ts["PreToolUse"] - ts["UserPromptSubmit"]) + (
        ts["Stop"] - ts["PostToolBatch"]
    )
    assert s.model_ms == pytest.approx(expected_model_ns / 1e6)
    assert _by_name(s)["Model"].calls == 2
    bash = _by_name(s)["Bash"]
    assert (bash.calls, bash.total_ms, bash.failures) == (1, 29.0, 0)
    assert s.wall_ms == pytest.approx((ts["SessionEnd"] - ts["SessionStart"]) / 1e6)
    assert s.startup_ms == pytest.approx((ts["UserPromptSubmit"] - ts["SessionStart"]) / 1e6)
    assert s.session_id == records[0]["payload"]["session_id"]
    assert s.around_tools_ms == pytest.approx((ts["PostToolUse"] - ts["PreToolUse"]) / 1e6 - 29)
    assert "Bash 1x" in result.summary


def test_parallel_tool_calls_count_once_in_wall_time(tmp_path):
    sid = {"session_id": "par-1"}
    read = payload_like("PreToolUse", tool_name="Read", **sid)
    steps = [
        (0, payload_like("UserPromptSubmit", **sid)),
        (100, {**read, "tool_use_id": "a"}),
        (101, {**read, "tool_use_id": "b"}),
        (400, payload_like("PostToolUse", tool_name="Read", tool_use_id="a", duration_ms=300, **sid)),
        (500, payload_like("PostToolUse", tool_name="Read", tool_use_id="b", duration_ms=399, **sid)),
        (520, payload_like("PostToolBatch", **sid)),
        (900, payload_like("Stop", **sid)),
    ]  # fmt: skip
    (s,) = tool_timings(log_path=_play(tmp_path, tmp_path, steps)).sessions
    builtin = _by_name(s)["Built-in"]
    assert builtin.total_ms == 699.0
    assert builtin.wall_ms == pytest.approx(400.0)  # [100, 400] ∪ [101, 500]
    assert s.tool_wall_ms == pytest.approx(400.0)
    assert s.model_ms == pytest.approx(100 + 380)  # prompt → first Pre, batch end → Stop
    assert builtin.p50_ms == pytest.approx(349.5) and builtin.max_ms == 399.0


def test_permission_wait_is_kept_apart_from_tool_and_model_time(tmp_path):
    sid = {"session_id": "perm-1"}
    steps = [
        (0, payload_like("UserPromptSubmit", **sid)),
        (50, payload_like("PreToolUse", tool_use_id="t1", **sid)),
        (60, payload_like("PermissionRequest", **sid)),
        (5060, payload_like("PostToolUse", tool_use_id="t1", duration_ms=1000, **sid)),
        (5100, payload_like("Stop", **sid)),
    ]
    (s,) = tool_timings(log_path=_play(tmp_path, tmp_path, steps)).sessions
    assert s.permission_requests == 1
    assert s.permission_wait_ms == pytest.approx(4000.0)  # request → the tool's start
    assert s.tool_wall_ms == 1000.0
    assert s.model_ms == pytest.approx(50 + 40)
    assert s.around_tools_ms == pytest.approx(5010 - 1000)  # Pre → Post, minus the tool


def test_mcp_time_is_split_per_server_and_failures_are_counted(tmp_path):
    records = [
        r for r in fixture_lines("hook-payload-examples.jsonl")
        if r["payload"]["session_id"].startswith("257b3f7a")
    ]  # fmt: skip
    log = replay(records, tmp_path, tmp_path)
    (s,) = tool_timings(log_path=log).sessions
    mcp = _by_name(s)["MCP"]
    assert (mcp.calls, mcp.failures, mcp.total_ms) == (2, 1, 165.0)
    assert [(m.name, m.calls) for m in s.mcp_servers] == [("lat", 2)]
    assert s.failures == 2  # the MCP failure and the failed Bash command
    assert s.slowest_calls[0].tool_name == "mcp__lat__sleepy_echo"


def test_subagent_work_is_reported_apart_from_the_main_thread(tmp_path):
    sid = {"session_id": "sub-1"}
    agent = {"agent_id": "ae33d2b843a09bee2"}
    steps = [
        (0, payload_like("UserPromptSubmit", **sid)),
        (10, payload_like("PreToolUse", tool_name="Agent", tool_use_id="ag", **sid)),
        (20, payload_like("SubagentStart", **sid, **agent)),
        (30, payload_like("PreToolUse", tool_use_id="in", **sid, **agent)),
        (230, payload_like("PostToolUse", tool_use_id="in", duration_ms=200, **sid, **agent)),
        (900, payload_like("SubagentStop", **sid, **agent)),
        (910, payload_like("PostToolUse", tool_name="Agent", tool_use_id="ag", duration_ms=900,
                           **sid)),
        (1000, payload_like("Stop", **sid)),
    ]  # fmt: skip
    (s,) = tool_timings(log_path=_play(tmp_path, tmp_path, steps)).sessions
    assert _by_name(s)["Agent"].total_ms == 900.0
    assert "Bash" not in _by_name(s)  # the subagent's Bash call is not main-thread time
    assert s.subagent_tools.calls == 1 and s.subagent_tools.total_ms == 200.0
    assert s.subagents.calls == 1 and s.subagents.total_ms == pytest.approx(880.0)
    assert s.model_ms == pytest.approx(10 + 90)


def test_malformed_and_truncated_lines_are_skipped_and_counted(tmp_path):
    log = replay(fixture_lines("a1-session-events.jsonl"), tmp_path, tmp_path)
    good = log.read_text().splitlines()
    with log.open("a") as f:
        f.write("garbage without a session\n")
        f.write(good[2][: len(good[2]) // 2] + "\n")  # truncated, still names the session
        f.write("\n")
    result = tool_timings(log_path=log)
    assert result.malformed_lines == 2
    assert result.sessions[0].events == len(good)
    assert "2 malformed" in result.summary


def test_default_session_is_claude_codes_current_one_else_the_latest(tmp_path, monkeypatch):
    log = replay(fixture_lines("hook-payload-examples.jsonl"), tmp_path, tmp_path)
    latest = fixture_lines("hook-payload-examples.jsonl")[-1]["payload"]["session_id"]
    assert tool_timings(log_path=log).sessions[0].session_id == latest
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "514a283c-f390-491c-a65f-46b6143415b4")
    result = tool_timings(log_path=log)
    assert result.sessions[0].session_id == "514a283c-f390-491c-a65f-46b6143415b4"
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "not-in-the-log")
    result = tool_timings(log_path=log)
    assert result.sessions[0].session_id == latest and "not in the log" in result.notes[0]


def test_last_n_returns_the_most_recent_sessions_first(tmp_path):
    log = replay(fixture_lines("hook-payload-examples.jsonl"), tmp_path, tmp_path)
    ids = [s.session_id[:8] for s in tool_timings(log_path=log, last=3).sessions]
    assert ids == ["2783f8f2", "514a283c", "257b3f7a"]


def test_a_session_split_by_rotation_is_read_from_both_files(tmp_path):
    records = fixture_lines("a1-session-events.jsonl")
    fake_bin = fake_date_dir(tmp_path)
    for r in records:  # SessionStart rotates once the log passes 10 bytes: later lines go on
        run_hook(r["payload"], tmp_path, ts_ns=r["ts_ns"], fake_bin=fake_bin,
                 extra_env={"SRE_LATENCY_HOOK_MAX_BYTES": "10", "SRE_LATENCY_HOOK_KEEP": "9"})  # fmt: skip
    log = tmp_path / "claude" / "tool-latency.jsonl"
    assert list(log.parent.glob("tool-latency.jsonl.*"))
    assert tool_timings(log_path=log).sessions[0].events == len(records)


def test_bad_requests_raise_one_clear_sentence(tmp_path):
    with pytest.raises(ConfigError, match="No Claude Code hook log"):
        tool_timings(log_path=tmp_path / "missing.jsonl")
    log = replay(fixture_lines("a1-session-events.jsonl"), tmp_path, tmp_path)
    with pytest.raises(ConfigError, match="has no events"):
        tool_timings(log_path=log, session="nope")
    with pytest.raises(ConfigError, match="at least 1"):
        tool_timings(log_path=log, last=0)
    with pytest.raises(ConfigError, match="does not exist"):
        tool_timings(from_transcript=tmp_path / "nope.jsonl")
    with pytest.raises(ConfigError, match="--session and --last each choose"):
        tool_timings(log_path=log, session="nope", last=2)  # not one silently ignored


def test_transcript_of_a_real_session_gives_the_same_categories_and_usage():
    result = tool_timings(from_transcript=FIXTURES / "transcript_bash_read_mcp.jsonl")
    (s,) = result.sessions
    calls = {c.name: c.calls for c in s.categories}
    assert calls == {"Model": 4, "Bash": 1, "MCP": 1, "Built-in": 1}
    assert s.usage.api_responses == 4 and s.usage.output_tokens > 0
    assert result.source == "transcript" and result.malformed_lines == 0
    accounted = s.model_ms + s.tool_wall_ms + s.other_ms + s.startup_ms
    assert accounted == pytest.approx(s.wall_ms)


def test_cli_prints_json_and_exits_2_without_a_log(tmp_path, capsys):
    log = replay(fixture_lines("a1-session-events.jsonl"), tmp_path, tmp_path)
    assert main(["tool-timings", "--log", str(log), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sessions"][0]["categories"][1]["name"] == "Bash"
    assert main(["tool-timings", "--log", str(log)]) == 0
    assert "Bash" in capsys.readouterr().out
    assert main(["tool-timings", "--log", str(tmp_path / "none.jsonl")]) == 2
    assert "No Claude Code hook log" in capsys.readouterr().err


def test_valid_json_lines_that_are_not_hook_events_are_counted_as_malformed(tmp_path):
    log = replay(fixture_lines("a1-session-events.jsonl"), tmp_path, tmp_path)
    sid = fixture_lines("a1-session-events.jsonl")[0]["payload"]["session_id"]
    good = len(log.read_text().splitlines())
    with log.open("a") as f:
        f.write(json.dumps({"session_id": sid, "ts_ns": 1}) + "\n")  # no event
        f.write(json.dumps({"session_id": sid, "event": "Stop", "ts_ns": "soon"}) + "\n")
        f.write(json.dumps([{"session_id": sid}]) + "\n")
    result = tool_timings(log_path=log)
    assert result.malformed_lines == 3 and result.sessions[0].events == good


def test_a_session_can_be_named_by_a_unique_prefix(tmp_path):
    log = replay(fixture_lines("hook-payload-examples.jsonl"), tmp_path, tmp_path)
    result = tool_timings(log_path=log, session="514a283c")
    assert result.sessions[0].session_id == "514a283c-f390-491c-a65f-46b6143415b4"
    with pytest.raises(ConfigError, match="matches 2 sessions"):
        tool_timings(log_path=log, session="2")  # 257b3f7a… and 2783f8f2…


def test_a_file_that_is_not_a_transcript_is_refused_instead_of_reading_as_an_empty_session(
    tmp_path, capsys
):
    hook_log = replay(fixture_lines("a1-session-events.jsonl"), tmp_path, tmp_path)
    with pytest.raises(ConfigError, match="is not a Claude Code transcript"):
        tool_timings(from_transcript=hook_log)  # valid JSONL, but the hook's, not a transcript
    toml = tmp_path / "slo.toml"
    toml.write_text("x = [1,\n")
    assert main(["tool-timings", "--from-transcript", str(toml)]) == 2
    assert "is not a Claude Code transcript" in capsys.readouterr().err


def test_a_truncated_transcript_is_read_up_to_the_damage(tmp_path):
    lines = (FIXTURES / "transcript_bash_read_mcp.jsonl").read_text().splitlines()
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("\n".join([*lines[:-1], "not json", lines[-1][:40]]) + "\n")
    result = tool_timings(from_transcript=damaged)
    assert result.malformed_lines == 2
    (s,) = result.sessions
    assert {c.name: c.calls for c in s.categories} == {"Model": 3, "Bash": 1, "MCP": 1,
                                                       "Built-in": 1}  # fmt: skip


def _rows(events) -> list[tuple]:
    """One comparable tuple per event: (ts_ns, kind, duration or None, tool_name, tool_use_id,
    agent_id, mcp_server)."""
    fields = ("tool_name", "tool_use_id", "agent_id", "mcp_server")
    return [
        (int(events.ts_ns[i]), int(events.kind[i]),
         None if math.isnan(events.duration_ms[i]) else float(events.duration_ms[i]),
         *(events.text(f, int(events.codes[f][i])) for f in fields))
        for i in range(len(events))
    ]  # fmt: skip


def _careful(lines: list[bytes], sid: str):
    """What json.loads, line by line, makes of the lines naming ``sid``."""
    needle = f'"session_id":"{sid}"'.encode()
    decoded = []
    for line in lines:
        if needle in line:
            try:
                decoded.append(json.loads(line))
            except ValueError:
                decoded.append(None)
    events = SessionEvents.from_dicts([d for d in decoded if d is not None])
    return events, len(decoded) - len(events)


def test_every_line_the_real_hook_writes_takes_the_fast_path_with_the_same_fields(tmp_path):
    log = replay(fixture_lines("hook-payload-examples.jsonl"), tmp_path, tmp_path)
    data = log.read_bytes()
    lines = data.splitlines()
    for sid in {json.loads(line)["session_id"] for line in lines}:
        fast = parse_canonical(data + PADDING, len(data), sid)
        mine = [i for i, line in enumerate(lines) if f'"session_id":"{sid}"'.encode() in line]
        assert fast.line.tolist() == mine
        selection = read_log(log, session=sid)
        assert _rows(selection.sessions[sid]) == _rows(_careful(lines, sid)[0])


def _odd_variants(line: bytes) -> list[bytes]:
    """The same event written otherwise (valid or not), as a hand-edited or damaged log has it."""
    event = json.loads(line)
    spaced = json.dumps(event).encode()
    reordered = json.dumps(dict(reversed(list(event.items()))), separators=(",", ":")).encode()
    escaped = line.replace(b'"event":"', b'"event":"\\u0053top').replace(b"\\u0053topS", b"S")
    return [
        spaced, reordered, escaped, line[: len(line) // 2], line + b"\r", line + b" ",
        line.replace(b'"v":1,', b""), line.replace(b"}", b',"extra":"x"}'),
        line.replace(b'"ts_ns":1', b'"ts_ns":01'), line.replace(b'"ts_ns":1', b'"ts_ns":-1'),
        line.replace(b'"ts_ns":1', b'"ts_ns":'), line.replace(b'"ts_ns":', b'"ts_ns":"') ,
        line.replace(b'"duration_ms":', b'"duration_ms":0'),
        line.replace(b'"duration_ms":', b'"duration_ms":-'),
        line.replace(b'"duration_ms":', b'"duration_ms":1.5e'),
        line.replace(b"}", b',"duration_ms":12.50}'), line.replace(b"}", b',"duration_ms":.5}'),
        line.replace(b'"event":"', b'"event":"\xc3\xa9'),
        line.replace(b'"tool_name":"', b'"tool_name":"\\"'),
        line.replace(b'"tool_name":"', b'"tool_name":7,"x":"'),
        line.replace(b'"agent_id":"', b'"agent_id":"","x":"'),
        line.replace(b'"failed":true', b'"failed":tru'), line + line,
        line.replace(b"}", b',"event":"Stop"}'),
    ]  # fmt: skip


def test_fast_and_careful_paths_agree_on_hook_lines_mixed_with_odd_ones(tmp_path):
    log = replay(fixture_lines("hook-payload-examples.jsonl"), tmp_path, tmp_path)
    lines = log.read_bytes().splitlines()
    mixed = []
    for line in lines:
        mixed += [line, *_odd_variants(line), b"", b"garbage"]
    log.write_bytes(b"\n".join(mixed) + b"\n")
    # lines naming no session are malformed (blank ones aside), whichever session is asked for
    nameless = len(mixed) - b"\n".join(mixed).count(b'"session_id":"') - mixed.count(b"")
    for sid in {json.loads(line)["session_id"] for line in lines}:
        selection = read_log(log, session=sid)
        expected, malformed = _careful(mixed, sid)
        assert _rows(selection.sessions[sid]) == _rows(expected)
        assert selection.malformed_lines == malformed + nameless
    assert 0 < malformed < len(expected)


def test_a_session_that_is_most_of_the_log_is_parsed_whole_with_the_same_result(tmp_path):
    records = fixture_lines("a1-session-events.jsonl")
    log = replay(records, tmp_path, tmp_path)
    one = log.read_bytes()
    sid = records[0]["payload"]["session_id"]
    other = one.replace(sid.encode(), b"another-session")
    log.write_bytes(other * 3 + b"garbage\n" + one * 5)  # mostly sid: read in place
    mostly = tool_timings(log_path=log, session=sid)
    log.write_bytes(other * 40 + b"garbage\n" + one * 5)  # mostly not: lines picked out
    rarely = tool_timings(log_path=log, session=sid)
    assert mostly.sessions == rarely.sessions
    assert mostly.malformed_lines == rarely.malformed_lines == 1
    assert mostly.sessions[0].events == 5 * len(records)
