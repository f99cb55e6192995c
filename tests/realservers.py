"""Real servers the tests start on 127.0.0.1 (moto's S3, Prometheus) and stop by their PID."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


_GIVEN: set[int] = set()


def free_port() -> int:
    """A 127.0.0.1 port free now and not handed out before in this test process (two servers
    started side by side must not be told the same port before either binds it)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


def wait_until(check, timeout_s: float, what: str, interval_s: float = 0.1):
    """Poll ``check()`` until it returns a truthy value, at most ``timeout_s`` seconds."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(interval_s)


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout_s: float = 20) -> int:
    """Stop a process this test started (by its PID), killing it if it does not exit in time."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout_s)
    return proc.returncode


@contextlib.contextmanager
def moto_s3() -> Iterator[str]:
    """moto's standalone server (``moto_server``, a real HTTP endpoint); yields its URL."""
    exe = BIN / "moto_server"
    if not exe.exists():
        pytest.skip("moto[server] is not installed (pip install '.[test]')")
    port = free_port()
    proc = subprocess.Popen(
        [str(exe), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: proc.poll() is not None or _accepts(port), 30, "moto_server")
        assert proc.poll() is None, "moto_server exited at start"
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian's prometheus package; .ci/run installs it)")
    return path


def cli(*args: str) -> list[str]:
    """The ``sre-latency`` command of this environment."""
    return [str(BIN / "sre-latency"), *args]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(extra)
    return env
