"""Watching processes: a tree's CPU, memory and threads every interval; a started gateway."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from sre_latency.errors import ConfigError
from sre_latency.probe.watch import ProcessWatch, StartedCommand, check_pid

BUSY = "import time\nend = time.time() + 30\nwhile time.time() < end: pass\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_watched_tree_reports_the_cpu_and_memory_of_the_root_and_its_children():
    # a shell whose child burns CPU: the CPU is the child's, seen through the root's tree
    proc = subprocess.Popen(["sh", "-c", f'{sys.executable} -c "{BUSY}" & wait'])
    try:
        watch = ProcessWatch({"gateway": proc.pid}, datetime.now(UTC), interval_s=0.2).start()
        await asyncio.sleep(1.5)
        series = watch.stop()["gateway"]
    finally:
        proc.kill()
        proc.wait(10)
    assert len(series) >= 3
    assert max(w.processes for w in series) == 2
    assert max(w.cpu_pct or 0 for w in series) > 20
    assert all(w.rss_bytes and w.threads for w in series if w.processes)
    assert series == sorted(series, key=lambda w: w.t_s)


def test_a_pid_that_does_not_exist_is_one_sentence():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(10)
    with pytest.raises(ConfigError, match=f"--watch-pid {proc.pid}: no such process"):
        check_pid(proc.pid)


async def test_a_started_command_is_ready_once_it_listens_and_is_stopped_after():
    port = free_port()
    command = StartedCommand(f"{sys.executable} -m http.server {port} --bind 127.0.0.1")
    try:
        async with asyncio.timeout(30):
            await command.wait_ready([f"http://127.0.0.1:{port}/v1"])
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        command.stop()
    assert command.proc.poll() is not None


async def test_a_command_that_exits_before_listening_says_so_with_its_last_line():
    command = StartedCommand(
        f"{sys.executable} -c \"print('no config file'); raise SystemExit(3)\""
    )
    try:
        with pytest.raises(ConfigError, match=r"exited with code 3 .*no config file"):
            async with asyncio.timeout(30):
                await command.wait_ready([f"http://127.0.0.1:{free_port()}"])
    finally:
        command.stop()
