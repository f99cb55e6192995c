"""Watching processes while a run measures: the system under test, and the client itself.

Every second (``INTERVAL_S``) a daemon thread reads, for each watched process *tree* (a root
process and all of its descendants, from ``/proc`` through psutil): CPU use as a % of one core,
resident memory, threads, open file descriptors, read/write bytes per second and context
switches per second. That is what ``docker stats`` gave the seed report, but per second and on
the run's own clock, so it lines up with the latency windows (``Run.timeseries.processes``).

A thread, not the event loop: reading ``/proc`` for a large tree takes milliseconds that would
otherwise delay the bytes the client is timestamping. Figures a process hides (another user's
I/O counters) are left out rather than guessed.

``started_command`` starts the gateway the user names (``--watch-cmd``) in a session of its own,
waits until it listens on the targets' ports, and stops that process group afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from time import perf_counter
from urllib.parse import urlsplit

import psutil

from sre_latency.core.contract import ProcessWindow
from sre_latency.errors import ConfigError

INTERVAL_S = 1.0
READY_TIMEOUT_S = 30.0
STOP_GRACE_S = 5.0


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _reading(proc: psutil.Process) -> dict[str, float] | None:
    """One process's counters, or None when it is gone."""
    try:
        with proc.oneshot():
            cpu = proc.cpu_times()
            out = {"cpu_s": cpu.user + cpu.system, "rss": proc.memory_info().rss,
                   "threads": proc.num_threads(), "ctx": sum(proc.num_ctx_switches())}  # fmt: skip
            with contextlib.suppress(psutil.AccessDenied, AttributeError):
                out["fds"] = proc.num_fds()
            with contextlib.suppress(psutil.AccessDenied, AttributeError):
                io = proc.io_counters()
                out["read"], out["write"] = io.read_bytes, io.write_bytes
            return out
    except psutil.Error:
        return None


class TreeSampler:
    """Successive readings of one process tree, turned into per-interval rates."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self._last = self._read()
        self._last_t = perf_counter()

    def _read(self) -> dict[int, dict[str, float]]:
        return {p.pid: r for p in _tree(self.root) if (r := _reading(p)) is not None}

    def sample(self, t_s: float) -> ProcessWindow:
        now = perf_counter()
        dt = max(1e-6, now - self._last_t)
        current = self._read()

        def rate(key: str) -> float | None:
            deltas = [r[key] - self._last[pid][key] for pid, r in current.items()
                      if pid in self._last and key in r and key in self._last[pid]]  # fmt: skip
            return sum(deltas) / dt if deltas else None

        def total(key: str) -> int | None:
            values = [r[key] for r in current.values() if key in r]
            return int(sum(values)) if values else None

        cpu = rate("cpu_s")
        window = ProcessWindow(
            t_s=t_s, processes=len(current), cpu_pct=None if cpu is None else 100.0 * cpu,
            rss_bytes=total("rss"), threads=total("threads"), open_fds=total("fds"),
            read_bytes_per_s=rate("read"), write_bytes_per_s=rate("write"),
            ctx_switches_per_s=rate("ctx"),
        )  # fmt: skip
        self._last, self._last_t = current, now
        return window


def check_pid(pid: int) -> None:
    """ConfigError unless ``pid`` is a process this user can watch."""
    try:
        psutil.Process(pid).cpu_times()
    except psutil.NoSuchProcess:
        raise ConfigError(f"--watch-pid {pid}: no such process.") from None
    except psutil.Error as exc:
        raise ConfigError(f"--watch-pid {pid}: cannot be read ({exc}).") from None


def process_label(pid: int) -> str:
    try:
        return f"pid {pid} ({psutil.Process(pid).name()})"
    except psutil.Error:
        return f"pid {pid}"


class ProcessWatch:
    """Samples the named process trees every ``interval_s`` until ``stop()``."""

    def __init__(self, roots: dict[str, int], origin: datetime, interval_s: float = INTERVAL_S):
        self.origin = origin
        self.interval_s = interval_s
        self.samplers: dict[str, TreeSampler] = {}
        for name, pid in roots.items():
            with contextlib.suppress(psutil.Error):  # gone since it was checked: nothing to watch
                self.samplers[name] = TreeSampler(pid)
        self.series: dict[str, list[ProcessWindow]] = {name: [] for name in self.samplers}
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sre-latency-watch", daemon=True)

    def start(self) -> ProcessWatch:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stopped.wait(self.interval_s):
            self._tick()

    def _tick(self) -> None:
        t_s = (datetime.now(UTC) - self.origin).total_seconds()
        for name, sampler in self.samplers.items():
            self.series[name].append(sampler.sample(t_s))

    def stop(self) -> dict[str, list[ProcessWindow]]:
        """Stop sampling (one last reading) and return the series by name."""
        if not self._stopped.is_set():
            self._stopped.set()
            self._thread.join(timeout=5.0)
            self._tick()
        return self.series


def _ports(urls: Sequence[str]) -> list[tuple[str, int]]:
    out = []
    for url in urls:
        parts = urlsplit(url)
        if parts.hostname:
            default = 443 if parts.scheme == "https" else 80
            out.append((parts.hostname, parts.port or default))
    return sorted(set(out))


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class StartedCommand:
    """A program started for the run (``--watch-cmd``); ``stop()`` ends its process group."""

    def __init__(self, command: str):
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise ConfigError(f"--watch-cmd cannot be read: {exc}.") from None
        if not argv:
            raise ConfigError("--watch-cmd is empty.")
        self.program = os.path.basename(argv[0])  # the run file names the program, not its flags
        # its output, for the error sentence if it dies; closed by stop()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                         stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        except OSError as exc:
            self.log.close()
            raise ConfigError(f"--watch-cmd {argv[0]!r} cannot start: {exc.strerror}.") from None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def last_line(self) -> str:
        self.log.seek(0)
        lines = self.log.read()[-4096:].decode(errors="replace").strip().splitlines()
        return lines[-1][:200] if lines else "no output"

    async def wait_ready(self, urls: Sequence[str], timeout_s: float = READY_TIMEOUT_S) -> None:
        """Until every target's host:port accepts a connection (or the program exits)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        for host, port in _ports(urls):
            while not await asyncio.to_thread(_listening, host, port):
                if self.proc.poll() is not None:
                    raise ConfigError(
                        f"--watch-cmd exited with code {self.proc.returncode} before it listened "
                        f"on {host}:{port} (its last line: {self.last_line()})."
                    )
                if loop.time() > deadline:
                    raise ConfigError(
                        f"--watch-cmd did not listen on {host}:{port} within {timeout_s:g} s."
                    )
                await asyncio.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(STOP_GRACE_S)
        self.log.close()


@contextlib.contextmanager
def stopping(command: StartedCommand | None) -> Iterator[None]:
    """Stop ``command`` if the block fails (the run's own end stops it otherwise)."""
    try:
        yield
    except BaseException:
        if command is not None:
            command.stop()
        raise
