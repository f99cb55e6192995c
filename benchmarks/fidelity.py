"""How faithfully does the prober measure? Run on demand: ``python benchmarks/fidelity.py``.

The emulator runs as a separate process (TTFT 200 ms, ITL 10 ms, 64 tokens) and records when it
sent every event (``perf_counter_ns``). The prober measures it at several concurrencies; each
sample is joined to the emulator's record by request id and the difference is the prober's
error. For each transport and concurrency this prints:

- TTFT / ITL / total error, p50 and p99: measured minus the emulator's truth. Both processes
  read the same monotonic clock, so the truth is exact: TTFT truth is "the emulator handed the
  first content delta to its socket" minus the client's request start; total truth is "last
  byte handed over" minus the same start. The error is how late the client stamped the bytes;
- TTFT − server TTFT p50/p99: measured TTFT minus the emulator's own TTFT (request read →
  first delta sent): the stamping error plus the request lag below;
- request lag p50/p99: client request start → emulator has read the whole request (sending
  cost on the client plus the emulator's own reading delay; it is part of TTFT, truly);
- achieved request rate as a % of the ideal closed-loop rate ``C / (TTFT + 63 × ITL)``, per
  worker cycle: ideal request time ÷ (mean measured request time + mean client gap between a
  worker's requests), so the workers' deliberate start-up spread is not counted;
- the emulator's own lateness (its measured TTFT p50 minus the profile's), so a slow emulator
  is not mistaken for a slow client;
- client CPU-ms per request (the measuring thread's CPU time over the measured phase);
- the engine's own verdict (valid, or the saturation note).

Targets (issue 2): TTFT p50 error ≤ 2 ms, p99 ≤ 10 ms, ≥ 95 % of ideal at 256 streams,
≤ 2 CPU-ms per 64-token stream.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import urllib.request

import numpy as np

from sre_latency.core.contract import Sample
from sre_latency.probe.engine import ProbeEngine
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.base import ProbeSettings
from sre_latency.probe.targets import build_targets

TTFT_MS, ITL_MS, TOKENS = 200.0, 10.0, 64
IDEAL_S = (TTFT_MS + (TOKENS - 1) * ITL_MS) / 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_emulator() -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [
        sys.executable, "-m", "sre_latency", "emulate", "--port", str(port),
        "--ttft-ms", str(TTFT_MS), "--itl-ms", str(ITL_MS), "--output-tokens", str(TOKENS),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"the emulator did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[-1].strip()


def records(base_url: str, since: int) -> dict[str, dict]:
    with urllib.request.urlopen(f"{base_url}/_emulator/records?since={since}", timeout=30) as r:
        data = json.load(r)
    return {rec["request_id"]: rec for rec in data["records"]}


def last_seq(base_url: str) -> int:
    with urllib.request.urlopen(f"{base_url}/_emulator/records?since=999999999", timeout=30) as r:
        return json.load(r)["last_seq"]


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of another process (Linux /proc; NaN elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def truth_itl_p50(rec: dict) -> float | None:
    times = [ns for label, ns in rec["events"] if label == "content_block_delta"]
    gaps = np.diff(times) / 1e6
    return float(np.median(gaps)) if gaps.size else None


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def measure(
    base_url: str, concurrency: int, requests: int, transport: str, emulator_pid: int
) -> dict:
    env = {"ANTHROPIC_BASE_URL": base_url, "ANTHROPIC_API_KEY": "dummy"}
    targets = build_targets(["anthropic"], [], env)
    engine = ProbeEngine(
        targets,
        ProbeSettings(env=env),
        make_prompt("small"),
        n=requests,
        warmup=concurrency,  # one per worker: every connection is open before the clock starts
        concurrency=concurrency,
        transport=transport,
        max_tokens=TOKENS,
    )
    samples: list[Sample] = []
    since = last_seq(base_url)
    emu_cpu0 = process_cpu_s(emulator_pid)
    await engine.run(lambda i, s: samples.append(s))
    emu_cpu_s = process_cpu_s(emulator_pid) - emu_cpu0  # includes its warm-up share
    health, notes = engine.health.report(engine.finished)
    truth = records(base_url, since)
    ttft_err, total_err, itl_err, server_ttft, request_lag, sent_ms = [], [], [], [], [], []
    vs_server: list[float] = []
    for s in samples:
        rec = truth.get(s.request_id or "")
        if s.error is not None or rec is None or rec["first_content_ns"] is None:
            continue
        # The sample's start on the shared monotonic clock (started_at is derived from it).
        start_ns = engine._perf0 + round((s.started_at - engine._wall0).total_seconds() * 1e9)
        ttft_err.append(s.ttft_ms - (rec["first_content_ns"] - start_ns) / 1e6)
        total_err.append(s.total_ms - (rec["ended_ns"] - start_ns) / 1e6)
        request_lag.append((rec["received_ns"] - start_ns) / 1e6)
        sent_ms.append(s.request_sent_ms)
        server_ttft.append(rec["ttft_ms"])
        vs_server.append(s.ttft_ms - rec["ttft_ms"])
        itl_truth = truth_itl_p50(rec)
        if itl_truth is not None and s.itl_ms.p50 is not None:
            itl_err.append(s.itl_ms.p50 - itl_truth)
    # Closed-loop efficiency: each worker's ideal cycle is one ideal request; its real cycle is
    # the measured request plus the client's gap before the next one. (Counting requests over
    # wall time would charge the deliberate start-up spread of the workers to the client.)
    gaps_ms = np.asarray(engine.health.schedule_lags_ns, dtype=float) / 1e6
    ok_total = [s.total_ms for s in samples if s.error is None]
    cycle_ms = float(np.mean(ok_total)) + (float(gaps_ms.mean()) if gaps_ms.size else 0.0)
    return {
        "transport": engine.transport_name,
        "C": concurrency,
        "n": len(ttft_err),
        "errors": sum(1 for s in samples if s.error is not None),
        "ttft_err_p50": pct(ttft_err, 50),
        "ttft_err_p99": pct(ttft_err, 99),
        "vs_server_p50": pct(vs_server, 50),
        "vs_server_p99": pct(vs_server, 99),
        "itl_err_p50": pct(itl_err, 50),
        "itl_err_p99": pct(itl_err, 99),
        "total_err_p50": pct(total_err, 50),
        "total_err_p99": pct(total_err, 99),
        "request_lag_p50": pct(request_lag, 50),
        "request_lag_p99": pct(request_lag, 99),
        "request_sent_p50": pct([v for v in sent_ms if v is not None], 50),
        "rate_pct_ideal": 100 * IDEAL_S * 1000 / cycle_ms,
        "emulator_late_ms": pct(server_ttft, 50) - TTFT_MS,
        "cpu_ms_per_req": health.cpu_ms_per_request,
        "emu_cpu_ms_per_req": 1000 * emu_cpu_s / (len(samples) + concurrency),
        "loop_lag_p99_ms": health.loop_lag_p99_ms,
        "valid": not notes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", default="1,32,128,256")
    parser.add_argument("--transports", default="aiohttp,httpx2")
    parser.add_argument("--rounds", type=int, default=4, help="measured requests per worker")
    parser.add_argument("--min-requests", type=int, default=30)
    args = parser.parse_args()
    proc, base_url = start_emulator()
    try:
        import uvloop

        header = (
            f"{'transport':9} {'C':>4} {'n':>5} {'err':>3} | {'TTFT err p50':>12} {'p99':>7} | "
            f"{'TTFT-srv p50':>12} {'p99':>7} | "
            f"{'ITL err p50':>11} {'p99':>6} | {'total err p50':>13} {'p99':>7} | "
            f"{'% ideal':>7} {'emu late':>8} {'CPU-ms/req':>10} {'emu CPU':>7} {'loop p99':>8} valid"
        )
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"emulator {base_url} pid {proc.pid}; client pid {os.getpid()}; {os.cpu_count()} CPUs"
        )
        print(f"load average before: {load}; all figures in ms unless named")
        print(header)
        for transport in args.transports.split(","):
            for c in (int(x) for x in args.concurrency.split(",")):
                requests = max(args.min_requests, c * args.rounds)
                r = uvloop.run(measure(base_url, c, requests, transport, proc.pid))
                print(
                    f"{r['transport']:9} {r['C']:>4} {r['n']:>5} {r['errors']:>3} | "
                    f"{r['ttft_err_p50']:>+12.2f} {r['ttft_err_p99']:>+7.2f} | "
                    f"{r['vs_server_p50']:>+12.2f} {r['vs_server_p99']:>+7.2f} | "
                    f"{r['itl_err_p50']:>+11.2f} {r['itl_err_p99']:>+6.2f} | "
                    f"{r['total_err_p50']:>+13.2f} {r['total_err_p99']:>+7.2f} | "
                    f"{r['request_lag_p50']:>11.2f} {r['request_lag_p99']:>6.2f} | "
                    f"{r['rate_pct_ideal']:>6.1f}% {r['emulator_late_ms']:>+8.2f} "
                    f"{r['cpu_ms_per_req']:>10.2f} {r['emu_cpu_ms_per_req']:>7.2f} "
                    f"{r['loop_lag_p99_ms']:>8.2f} {r['valid']}",
                    flush=True,
                )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
