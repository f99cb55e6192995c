"""Run one ``claude -p`` session and collect what it leaves: its result JSON, its hook log, the
task's success check, and the launch and exit times.

The session runs headless in a fresh copy of the task repository, with stdin closed, in a
process group of its own. A session that outlives ``max_session_s`` is killed (its group: the
tools it started go too) and kept as a timeout, with whatever it logged. Times are
``perf_counter_ns`` at the launch and when the exit was seen, plus the wall clock at the launch
to place the hook's and OpenTelemetry's wall-clock stamps on the same axis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sre_latency.claude_code.task_spec import Task
from sre_latency.core.redact import redact

OUTPUT_LIMIT = 4 * 1024 * 1024  # bytes of stdout kept (the result JSON is a few KB)
CHECK_TIMEOUT_S = 120.0
PERMISSION_MODE = "acceptEdits"  # edits pass; other tools only when the task allows them


@dataclass
class SessionOutput:
    """What one session left behind, before it is turned into a ``SessionRecord``."""

    launch_ns: int
    launch_wall_ns: int
    exit_ns: int
    exit_code: int | None
    timed_out: bool
    result: dict[str, Any] | None
    hook_events: list[dict[str, Any]] = field(default_factory=list)
    check_exit_code: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def wall_ms(self) -> float:
        return (self.exit_ns - self.launch_ns) / 1e6


def fresh_workspace(task: Task, workspace: Path) -> None:
    """``workspace`` as a fresh copy of the task's repository."""
    if workspace.exists():
        shutil.rmtree(workspace)
    shutil.copytree(task.repo, workspace, symlinks=True)


def claude_argv(claude: Path, task: Task) -> list[str]:
    return [str(claude), "-p", task.prompt, "--output-format", "json",
            "--permission-mode", PERMISSION_MODE, "--allowedTools", ",".join(task.allowed_tools)]  # fmt: skip


async def run_claude(claude: Path, task: Task, workspace: Path, env: dict[str, str],
                     max_session_s: float) -> SessionOutput:  # fmt: skip
    """Launch, wait (at most ``max_session_s``), and read the result; never raises on a bad run."""
    launch_wall_ns, launch_ns = time.time_ns(), time.perf_counter_ns()
    proc = await asyncio.create_subprocess_exec(
        *claude_argv(claude, task), cwd=workspace, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    readers = [asyncio.ensure_future(_read(proc.stdout)), asyncio.ensure_future(_read(proc.stderr))]
    timed_out = False
    try:
        await asyncio.wait_for(proc.wait(), timeout=max_session_s)
    except TimeoutError:
        timed_out = True
        _kill_group(proc.pid)
        await proc.wait()
    except BaseException:  # cancelled: the session must not outlive the run
        _kill_group(proc.pid)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), 10)
        raise
    exit_ns = time.perf_counter_ns()
    stdout, stderr = await _finish_readers(readers)
    out = SessionOutput(launch_ns, launch_wall_ns, exit_ns, proc.returncode, timed_out,
                        _result_json(stdout))  # fmt: skip
    if timed_out:
        out.notes.append(f"killed after --max-session-s {max_session_s:g} s")
    elif out.result is None:
        first = stderr.decode(errors="replace").strip().splitlines()[:1]
        why = f": {redact(first[0], 160, _secrets(env))}" if first else ""
        out.notes.append(f"claude exited {proc.returncode} without a result JSON{why}")
    return out


def _secrets(env: dict[str, str]) -> list[str]:
    names = ("KEY", "TOKEN", "SECRET", "PASSWORD")
    return [v for k, v in env.items() if any(n in k for n in names) and v]


def _kill_group(pid: int) -> None:
    """SIGKILL the session's process group (it leads it: start_new_session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def _read(stream: asyncio.StreamReader | None) -> bytes:
    if stream is None:
        return b""
    chunks, size = [], 0
    while chunk := await stream.read(65536):
        if size < OUTPUT_LIMIT:
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks)


async def _finish_readers(readers: list[asyncio.Future]) -> tuple[bytes, bytes]:
    """The outputs; a tool left running in the background may hold the pipes open, so the
    readers get a bounded grace and are then dropped."""
    done, pending = await asyncio.wait(readers, timeout=5.0)
    for task in pending:
        task.cancel()
    return tuple(r.result() if r in done and not r.cancelled() else b"" for r in readers)  # type: ignore[return-value]


def _result_json(stdout: bytes) -> dict[str, Any] | None:
    text = stdout.decode(errors="replace").strip()
    for candidate in (text, text.rpartition("\n")[2]):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("type") == "result":
            return data
    return None


def read_hook_log(path: Path, session_id: str | None) -> list[dict[str, Any]]:
    """The hook's lines of this session (all lines when the id is unknown)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    events = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if (
            isinstance(event, dict)
            and isinstance(event.get("ts_ns"), int)
            and (session_id is None or event.get("session_id") == session_id)
        ):
            events.append(event)
    return events


async def run_check(task: Task, workspace: Path) -> int | None:
    """The task's success check in the workspace: its exit status (None if it could not run)."""
    argv = task.check_argv(sys.executable)
    env = {**os.environ, "SRE_LATENCY_TASK_DIR": str(task.path)}
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=workspace, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    except OSError:
        return None
    try:
        return await asyncio.wait_for(proc.wait(), CHECK_TIMEOUT_S)
    except TimeoutError:
        _kill_group(proc.pid)
        await proc.wait()
        return None
