"""What the fidelity benchmarks share: their servers, the engine ``benchmark`` builds, the join.

- ``start_emulator`` / ``start_independent``: the truth sources, as processes of their own, on
  127.0.0.1 and a free port; ``records`` / ``last_seq`` read the emulator's record of what it sent;
- ``tool_engine``: the engine the ``benchmark`` tool builds for these options (``tools.load``):
  one ``ProbeEngine``, or a ``WorkerPool`` sized by ``workers_for`` as the tool sizes it;
- ``Clock``: places a sample's start on this process's ``perf_counter_ns`` clock, which the
  servers also read (CLOCK_MONOTONIC): the engine's own origin in this process, or for worker
  processes a wall-clock/perf pair read here (microseconds of error);
- ``stamping_errors``: measured TTFT minus the truth, per sample joined by request id.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from time import perf_counter_ns

import numpy as np

from sre_latency.core.contract import Sample

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cmd: list[str], what: str) -> tuple[subprocess.Popen, str]:
    """Start ``cmd``; wait for its ``listening on URL`` line; (process, URL)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"the {what} did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[-1].strip()


def start_emulator(ttft_ms: float, itl_ms: float, tokens: int, *extra: str):
    cmd = [sys.executable, "-m", "sre_latency", "emulate", "--port", str(free_port()),
           "--ttft-ms", str(ttft_ms), "--itl-ms", str(itl_ms), "--output-tokens", str(tokens),
           *extra]  # fmt: skip
    return start_server(cmd, "emulator")


def start_independent(ttft_ms: float, itl_ms: float, tokens: int):
    cmd = [sys.executable, os.path.join(HERE, "independent_server.py"),
           "--ttft-ms", str(ttft_ms), "--itl-ms", str(itl_ms), "--tokens", str(tokens)]  # fmt: skip
    return start_server(cmd, "independent server")


def get_json(url: str, timeout_s: float = 120):
    with urllib.request.urlopen(url, timeout=timeout_s) as r:
        return json.load(r)


def records(base_url: str, since: int) -> dict[str, dict]:
    data = get_json(f"{base_url}/_emulator/records?since={since}")
    return {rec["request_id"]: rec for rec in data["records"]}


def last_seq(base_url: str) -> int:
    return get_json(f"{base_url}/_emulator/records?since=999999999", 30)["last_seq"]


def pct(values, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def print_row(line: str, notes: list[str], indent: str = "    ") -> None:
    """One result row, then each of the engine's notes on it."""
    print(line, flush=True)
    for note in notes:
        print(f"{indent}note: {note}")


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def tool_engine(provider: str, env: dict[str, str], workers: int | None = None, **options):
    """The engine ``benchmark`` builds for ``options`` (``workers=None``: as many processes as
    the tool would use; ``1``: one). ``env`` (base URL, dummy key) is exported for it."""
    from sre_latency.probe.steps import StepSpec
    from sre_latency.tools.benchmark import BenchmarkOptions
    from sre_latency.tools.load import engine_kit

    os.environ.update(env)
    opts = BenchmarkOptions(providers=[provider], workers=workers, **options)
    kit = engine_kit(opts, [provider], None)
    return kit.engine(StepSpec(concurrency=opts.concurrency, n=opts.n))


@dataclass
class Clock:
    """A wall-clock instant and the ``perf_counter_ns`` reading taken with it."""

    wall0: datetime
    perf0: int

    @classmethod
    def now(cls) -> Clock:
        return cls(datetime.now(UTC), perf_counter_ns())

    @classmethod
    def of(cls, engine, fallback: Clock) -> Clock:
        """The engine's own origin when it ran in this process (exact), else ``fallback``."""
        wall0, perf0 = getattr(engine, "_wall0", None), getattr(engine, "_perf0", None)
        return cls(wall0, perf0) if wall0 is not None and perf0 is not None else fallback

    def start_ns(self, sample: Sample) -> int:
        """The sample's request start on this process's monotonic clock."""
        return self.perf0 + round((sample.started_at - self.wall0).total_seconds() * 1e9)


def stamping_errors(samples: list[Sample], truth: dict[str, dict], clock: Clock) -> list[float]:
    """TTFT stamping error (ms) of each sample joined by request id to a truth record with a
    ``first_content_ns`` (when the server handed the first content delta to its socket)."""
    errors = []
    for s in samples:
        rec = truth.get(s.request_id or "")
        if s.error is not None or rec is None or rec.get("first_content_ns") is None:
            continue
        if s.ttft_ms is not None:
            errors.append(s.ttft_ms - (rec["first_content_ns"] - clock.start_ns(s)) / 1e6)
    return errors
