"""The tool-latency hook script, fed real Claude Code 2.1.330 payloads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fixtures.claude_code.hook_replay import (
    HOOK,
    fake_date_dir,
    fixture_lines,
    payload_like,
    replay,
    run_hook,
)


def _log_lines(home: Path) -> list[dict]:
    files = sorted((home / "claude").glob("tool-latency.jsonl*"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def test_hook_logs_identifiers_timestamp_and_duration_of_each_real_payload(tmp_path):
    records = fixture_lines("hook-payload-examples.jsonl")
    log = replay(records, tmp_path, tmp_path)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == len(records)
    for record, line in zip(records, lines, strict=True):
        payload = record["payload"]
        assert line["ts_ns"] == record["ts_ns"]
        assert line["session_id"] == payload["session_id"]
        assert line["event"] == payload["hook_event_name"]
        for key in ("tool_name", "tool_use_id", "agent_id"):
            assert line.get(key) == (payload.get(key) or None)
        assert line.get("duration_ms") == payload.get("duration_ms")
        assert line.get("mcp_server") == (payload.get("mcp_server") or {}).get("name")
        assert line.get("failed", False) == (payload["hook_event_name"] == "PostToolUseFailure")


def test_hook_never_logs_tool_input_output_prompt_or_error_text(tmp_path):
    log = replay(fixture_lines("hook-payload-examples.jsonl"), tmp_path, tmp_path)
    text = log.read_text()
    for secret in ("echo hello", "touch made_by_tool.txt", "slept 120 ms", "LAT_TAG",
                   "No such file or directory", "Error executing tool", "/home/dev/proj",
                   "waiting for your input", "permission_suggestions"):  # fmt: skip
        assert secret not in text
    for forbidden_key in ("tool_input", "tool_response", "prompt", "error", "transcript_path"):
        assert f'"{forbidden_key}"' not in text


def test_hook_is_not_fooled_by_lookalike_keys_inside_a_large_tool_response(tmp_path):
    decoy = '"session_id":"evil","hook_event_name":"Stop","tool_use_id":"x"} ] { \\"'
    payload = payload_like(
        "PostToolUse",
        tool_input={"pattern": decoy, "session_id": "evil-2", "duration_ms": 1},
        tool_response={
            "filenames": [f"/src/{i}/{decoy}.py" for i in range(4000)],
            "content": "}}]]{{" + decoy * 1000,
        },
        duration_ms=1234,
    )
    assert len(json.dumps(payload)) > 300_000
    done = run_hook(payload, tmp_path)
    assert done.returncode == 0
    (line,) = _log_lines(tmp_path)
    assert line["session_id"] == payload["session_id"]
    assert line["event"] == "PostToolUse"
    assert line["tool_use_id"] == payload["tool_use_id"]
    assert line["duration_ms"] == 1234
    assert "evil" not in json.dumps(line)


def test_hook_accepts_pretty_printed_json_with_spaces(tmp_path):
    payload = payload_like("PostToolUse")
    done = run_hook(json.dumps(payload, indent=2).encode(), tmp_path)
    assert done.returncode == 0
    assert _log_lines(tmp_path)[0]["duration_ms"] == payload["duration_ms"]


def test_hook_keeps_its_directory_and_log_private(tmp_path):
    run_hook(payload_like("SessionStart"), tmp_path)
    claude_dir = tmp_path / "claude"
    assert claude_dir.stat().st_mode & 0o777 == 0o700
    assert (claude_dir / "tool-latency.jsonl").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "stdin", [b"", b"not json", b'{"truncated": ', b"\x00\xff\xfe", b'{"hook_event_name":"Stop"}']
)
def test_hook_exits_zero_and_writes_nothing_on_garbage_input(tmp_path, stdin):
    done = run_hook(stdin, tmp_path)
    assert done.returncode == 0 and done.stdout == b"" and done.stderr == b""
    assert _log_lines(tmp_path) == []


def test_hook_exits_zero_when_its_log_cannot_be_written(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the home directory should be")
    done = run_hook(payload_like("PreToolUse"), blocker)
    assert done.returncode == 0 and done.stderr == b""


def test_hook_needs_only_posix_tools_not_python_or_jq(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tools = ("sh", "awk", "head", "date", "mkdir", "wc", "mv", "ls", "sort", "tail", "rm", "find")
    for tool in tools:
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    payload = json.dumps(payload_like("PostToolUse")).encode()
    done = subprocess.run(
        [str(bin_dir / "sh"), str(HOOK)],
        input=payload, capture_output=True, timeout=30,
        env={"PATH": str(bin_dir), "SRE_LATENCY_HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == b""
    assert _log_lines(tmp_path)[0]["event"] == "PostToolUse"


def test_concurrent_hooks_write_whole_lines_and_lose_none_across_rotations(tmp_path):
    fake_bin = fake_date_dir(tmp_path)
    base = payload_like("PostToolUse")
    env = {"SRE_LATENCY_HOOK_MAX_BYTES": "2000", "SRE_LATENCY_HOOK_KEEP": "1000"}

    def one(i: int) -> int:
        event = "Stop" if i % 5 == 0 else "PostToolUse"
        payload = {**base, "hook_event_name": event, "tool_use_id": f"toolu_{i:04d}",
                   "tool_response": {"stdout": "x" * 20_000}}  # fmt: skip
        return run_hook(payload, tmp_path, ts_ns=10**18 + i, fake_bin=fake_bin,
                        extra_env=env).returncode  # fmt: skip

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(one, range(120))) == {0}
    files = list((tmp_path / "claude").glob("tool-latency.jsonl*"))
    assert len(files) > 1  # it did rotate
    lines = _log_lines(tmp_path)  # every line parses: no interleaving
    assert sorted(line["ts_ns"] - 10**18 for line in lines) == list(range(120))


def test_rotation_keeps_only_the_newest_rotated_files(tmp_path):
    fake_bin = fake_date_dir(tmp_path)
    env = {"SRE_LATENCY_HOOK_MAX_BYTES": "10", "SRE_LATENCY_HOOK_KEEP": "2"}
    for i in range(6):
        run_hook(payload_like("Stop"), tmp_path, ts_ns=10**18 + i, fake_bin=fake_bin,
                 extra_env=env)  # fmt: skip
    rotated = sorted(p.name for p in (tmp_path / "claude").glob("tool-latency.jsonl.*"))
    assert rotated == [f"tool-latency.jsonl.{10**18 + 4}", f"tool-latency.jsonl.{10**18 + 5}"]


def test_hook_also_keeps_a_per_session_file_for_the_statusline(tmp_path):
    records = fixture_lines("a1-session-events.jsonl")
    log = replay(records, tmp_path, tmp_path)
    sid = records[0]["payload"]["session_id"]
    per_session = tmp_path / "claude" / "sessions" / f"{sid}.jsonl"
    assert per_session.read_text() == log.read_text()


def test_hooks_json_registers_the_script_for_every_event_it_logs():
    config = json.loads((HOOK.parent / "hooks.json").read_text())["hooks"]
    for event in ("SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse",
                  "PostToolUseFailure", "PermissionRequest", "SubagentStart", "SubagentStop",
                  "Stop", "SessionEnd"):  # fmt: skip
        (entry,) = config[event]
        (hook,) = entry["hooks"]
        assert hook["command"] == '"${CLAUDE_PLUGIN_ROOT}/claude_config/sre-latency-hook"'
        assert hook["timeout"] <= 10
    assert os.access(HOOK, os.X_OK)


@pytest.mark.parametrize("shell", ["/bin/sh", "bash"])
def test_hook_stamps_the_wall_clock_in_nanoseconds_under_sh_and_bash(tmp_path, shell):
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    payload = json.dumps(payload_like("PreToolUse")).encode()
    before = time.time_ns()
    done = subprocess.run(
        [shell, str(HOOK)], input=payload, capture_output=True, timeout=30,
        env={**os.environ, "SRE_LATENCY_HOME": str(tmp_path)},
    )  # fmt: skip
    after = time.time_ns()
    assert done.returncode == 0
    (line,) = _log_lines(tmp_path)
    assert before - 1000 <= line["ts_ns"] <= after  # bash's $EPOCHREALTIME has µs resolution


def test_hook_and_statusline_work_under_a_home_with_spaces_quotes_and_backslashes(tmp_path):
    home = tmp_path / "it's a \\ weird home"
    records = fixture_lines("a1-session-events.jsonl")
    log = replay(records, home, tmp_path)
    assert len(log.read_text().splitlines()) == len(records)
    stdin = json.dumps({"session_id": records[0]["payload"]["session_id"]}).encode()
    done = subprocess.run(
        ["/bin/sh", str(HOOK.with_name("statusline"))], input=stdin, capture_output=True,
        timeout=30, env={**os.environ, "SRE_LATENCY_HOME": str(home)},
    )  # fmt: skip
    assert "| Bash 1x 29ms" in done.stdout.decode()
