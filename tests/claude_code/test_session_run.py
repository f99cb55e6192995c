"""Running one session: the process's outcome, bounded waits and what a failure leaves behind.

A stand-in ``claude`` (a shell script) plays the process here, so these tests cover the runner's
own behaviour; the real Claude Code runs in tests/e2e/test_session_benchmark_e2e.py."""

from __future__ import annotations

import asyncio
import json
import os

import anyio

from sre_latency.claude_code.session_run import run_claude
from sre_latency.claude_code.task_spec import load_task

ENV = {"PATH": "/usr/bin:/bin", "ANTHROPIC_API_KEY": "sk-ant-secret-for-this-test-0001"}


def _fake(tmp_path, body: str):
    path = tmp_path / "claude"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


async def _run(claude, tmp_path, max_s: float = 20.0):
    with anyio.fail_after(60):
        return await run_claude(claude, load_task("simple"), tmp_path, ENV, max_s)


async def test_the_result_json_and_the_exit_status_are_read(tmp_path):
    result = {"type": "result", "is_error": False, "num_turns": 2, "session_id": "s-1"}
    claude = _fake(tmp_path, f"echo '{json.dumps(result)}'\n")
    out = await _run(claude, tmp_path)
    assert (out.exit_code, out.timed_out, out.result, out.notes) == (0, False, result, [])
    assert out.wall_ms > 0


async def test_a_failed_claude_leaves_one_note_without_the_key(tmp_path):
    claude = _fake(tmp_path, 'echo "refused key $ANTHROPIC_API_KEY" >&2\nexit 1\n')
    out = await _run(claude, tmp_path)
    assert out.result is None and out.exit_code == 1
    assert out.notes == ["claude exited 1 without a result JSON: refused key [redacted]"]


async def test_a_session_past_its_limit_is_killed_with_the_tools_it_started(tmp_path):
    pid_file = tmp_path / "child.pid"
    claude = _fake(tmp_path, f"sleep 300 & echo $! > {pid_file}\nwait\n")
    out = await _run(claude, tmp_path, max_s=1.0)
    assert out.timed_out and out.result is None
    assert out.notes == ["killed after --max-session-s 1 s"]
    child = int(pid_file.read_text())
    for _ in range(100):  # the group was killed: the child goes within a moment
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the session's child process survived the kill")
