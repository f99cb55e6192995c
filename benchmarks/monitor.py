"""What a monitor costs: CPU and memory of ``sre-latency monitor`` probing 6 targets every 10 s.

The 6 targets are anthropic, openai and bedrock × haiku-4.5 and sonnet-4.5, served by the
emulator in a process of its own (so its work is not counted), with Prometheus-style scrapes of
``/metrics`` every 15 s and the runs journalled to a local store. Every 5 s the monitor's CPU
time (user + system, from /proc) and resident memory are read. Printed: CPU over the run (and
as a share of one core), CPU per round and per request, RSS at start, after the first round,
at the end and its peak (a growing RSS would show a leak), and start-up (spawn → ``/healthz``).
Also: whether the imports the monitor needs (prometheus_client, OpenTelemetry, botocore) stay
out of the paths everyone else starts through (``sre-latency --help``, the MCP server).

    python benchmarks/monitor.py [--seconds 600] [--every 10s]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
HEAVY = ("prometheus_client", "opentelemetry", "botocore")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read()
    except OSError:
        return None


def _wait(check, timeout_s: float) -> float:
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > timeout_s:
            raise SystemExit("timed out waiting for a server to start")
        time.sleep(0.02)
    return time.perf_counter() - start


def _emulator_env(url: str) -> dict[str, str]:
    from sre_latency.emulator.profile import EmulatorProfile
    from sre_latency.probe.targets import emulator_env

    return emulator_env(dict(os.environ), url, EmulatorProfile())


def _heavy_imports(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    return eval(out.stdout.strip() or "['?']")  # a list literal printed by the probe


def _requests(metrics: bytes) -> int:
    total = 0.0
    for line in metrics.decode().splitlines():
        if line.startswith("sre_latency_requests_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def measure(seconds: float, every: str) -> None:
    home = Path(tempfile.mkdtemp(prefix="sre-monitor-bench-"))
    eport, mport = _port(), _port()
    emulator = subprocess.Popen([str(BIN / "sre-latency"), "emulate", "--port", str(eport),
                                 "--ttft-ms", "300", "--itl-ms", "15"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    _wait(lambda: _get(f"http://127.0.0.1:{eport}/_emulator/records") is not None, 30)
    env = {**_emulator_env(f"http://127.0.0.1:{eport}"), "SRE_LATENCY_HOME": str(home)}
    monitor = subprocess.Popen(
        [str(BIN / "sre-latency"), "monitor", "--providers", "all", "--model",
         "haiku-4.5,sonnet-4.5", "--every", every, "--listen", f"127.0.0.1:{mport}",
         "--location", "bench"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        startup_s = _wait(lambda: _get(f"http://127.0.0.1:{mport}/healthz") is not None, 60)
        startup_cpu, startup_rss = _cpu_s(monitor.pid), _rss_mb(monitor.pid)
        _wait(lambda: _requests(_get(f"http://127.0.0.1:{mport}/metrics") or b"") >= 6, 120)
        cpu0, rss_first, t0 = _cpu_s(monitor.pid), _rss_mb(monitor.pid), time.perf_counter()
        rss, last_scrape = [rss_first], 0.0
        while time.perf_counter() - t0 < seconds:
            time.sleep(5)
            rss.append(_rss_mb(monitor.pid))
            if time.perf_counter() - last_scrape >= 15:
                last_scrape = time.perf_counter()
                _get(f"http://127.0.0.1:{mport}/metrics")
        cpu1, elapsed = _cpu_s(monitor.pid), time.perf_counter() - t0
        requests = _requests(_get(f"http://127.0.0.1:{mport}/metrics") or b"")
    finally:
        monitor.terminate()
        monitor.wait(timeout=60)
        emulator.terminate()
        emulator.wait(timeout=30)
    rounds = requests / 6
    cpu = cpu1 - cpu0
    print(f"monitor: 6 targets every {every}, measured for {elapsed:.0f} s after the first "
          f"round ({requests} requests, ~{rounds:.0f} rounds)")  # fmt: skip
    print(f"  CPU        {cpu:.2f} s over {elapsed:.0f} s = {100 * cpu / elapsed:.2f} % of one "
          f"core; {1000 * cpu / max(rounds - 1, 1):.1f} ms per round, "
          f"{1000 * cpu / max(requests - 6, 1):.1f} ms per request")  # fmt: skip
    print(f"  RSS        start {startup_rss:.0f} MB, after round 1 {rss_first:.0f} MB, end "
          f"{rss[-1]:.0f} MB, peak {max(rss):.0f} MB, median {statistics.median(rss):.0f} MB "
          f"(n={len(rss)} readings)")  # fmt: skip
    print(f"  start-up   spawn → /healthz {startup_s:.2f} s, {startup_cpu:.2f} s CPU")
    print(f"  exit       SIGTERM → exit code {monitor.returncode}")
    floor = set(_heavy_imports("import mcp.server.mcpserver"))  # what the MCP SDK itself loads
    for what, code, base in (
        ("import sre_latency", "import sre_latency", set()),
        ("sre-latency --help (parser)", "from sre_latency.cli import build_parser; build_parser()",
         set()),
        ("MCP server built", "from sre_latency.server import build_server; build_server()", floor),
    ):  # fmt: skip
        ours = sorted(set(_heavy_imports(code)) - base)
        note = f" (the MCP SDK itself imports {', '.join(sorted(base))})" if base else ""
        print(
            f"  {what:30s} imports {', '.join(ours) if ours else 'none'} of "
            f"{', '.join(HEAVY)}{note}"
        )


def sink_cost(n: int = 20_000) -> float:
    """CPU µs per sample of the monitor's own work (observation, rolling window, Prometheus
    instruments, journal line), apart from the probe engine's."""
    from datetime import UTC, datetime

    from sre_latency.core.contract import ITL, Sample
    from sre_latency.monitor.observation import observe
    from sre_latency.monitor.prometheus import PrometheusSink
    from sre_latency.monitor.window import RollingWindow
    from sre_latency.store.journal import sample_line

    sink, window = PrometheusSink(), RollingWindow(3600, 0.99)
    sample = Sample(seq=1, round=1, started_at=datetime.now(UTC), ttft_ms=310.0, total_ms=1290.0,
                    itl_ms=ITL(n=63, mean=15.0, p50=15.0, p99=16.0), output_tokens=64,
                    input_tokens=65)  # fmt: skip
    goodput = {"ttft_ms": 2500.0, "total_ms": 5000.0}
    start = time.process_time()
    for i in range(n):
        o = observe(f"t{i % 6}", "anthropic", "m", "bench", sample, goodput)
        sink.observe(o, window.add(o))
        sample_line(f"t{i % 6}", sample)
    return 1e6 * (time.process_time() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--every", default="10s")
    args = parser.parse_args()
    measure(args.seconds, args.every)
    print(
        f"  own work   {sink_cost():.0f} µs CPU per sample (observation, window, Prometheus, "
        "journal line); the rest of a request's CPU is the probe engine's"
    )


if __name__ == "__main__":
    main()
