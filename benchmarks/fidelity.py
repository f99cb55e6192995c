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

A second server, ``independent_server.py`` (raw asyncio, shares no code with sre-latency,
answers ``GET /`` with 404 and closes), is measured through the OpenAI adapter with
``--warmup 0`` and with the default warm-up, by the engine the ``benchmark`` tool builds
(``fidelity_common.tool_engine``): each setting in one client process, and again with the
worker processes ``benchmark`` uses by default (``probe.workers.workers_for``: more than one
past 128 streams) when that is not one; ``procs`` names the processes, ``*`` the default. For
each it prints the TTFT stamping error p50/p99 against that server's own write times, TTFT −
that server's TTFT (request read → first delta written: what any client, whatever its clock,
can be compared with; it includes the request's own sending time), the connections opened
inside measured requests, the measuring threads' CPU-ms per request (summed over the workers),
the worst process's event-loop lag p99, and the verdict (the engines' saturation and method
notes). Targets (issue 10): p50 ≤ 2 ms and p99 ≤ 10 ms at 256 streams in both modes, 0 new
connections in a warm run.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from fidelity_common import (
    Clock,
    get_json,
    last_seq,
    load_average,
    pct,
    print_row,
    records,
    stamping_errors,
    start_emulator,
    start_independent,
    tool_engine,
)

from sre_latency.core.contract import Sample
from sre_latency.probe.engine import ProbeEngine
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.base import ProbeSettings
from sre_latency.probe.targets import build_targets
from sre_latency.probe.workers import workers_for

TTFT_MS, ITL_MS, TOKENS = 200.0, 10.0, 64
IDEAL_S = (TTFT_MS + (TOKENS - 1) * ITL_MS) / 1000


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
        warmup=2,  # the default: at least one per worker, so every connection is open
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
    truth, clock = records(base_url, since), Clock.of(engine, Clock.now())
    ttft_err, total_err, itl_err, server_ttft, request_lag, sent_ms = [], [], [], [], [], []
    vs_server: list[float] = []
    for s in samples:
        rec = truth.get(s.request_id or "")
        if s.error is not None or rec is None or rec["first_content_ns"] is None:
            continue
        # The sample's start on the shared monotonic clock (started_at is derived from it).
        start_ns = clock.start_ns(s)
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


async def measure_independent(
    base_url: str, concurrency: int, requests: int, warmup: int, workers: int | None
) -> dict:
    """TTFT error against the independent server's own write times, and new connections, with
    the engine ``benchmark`` builds (``workers``: 1, or None for the tool's default)."""
    env = {"OPENAI_BASE_URL": base_url + "/v1", "OPENAI_API_KEY": "none"}
    engine = tool_engine("openai", env, workers, n=requests, warmup=warmup,
                         concurrency=concurrency, max_tokens=TOKENS)  # fmt: skip
    samples: list[Sample] = []
    before = Clock.now()  # worker processes' starts are placed on this clock
    await engine.run(lambda i, s: samples.append(s))
    health, notes = engine.health.report(engine.finished)
    method_notes, invalid = engine.method_notes()
    truth, clock = get_json(f"{base_url}/_truth", 30), Clock.of(engine, before)
    ttft_err = stamping_errors(samples, truth, clock)
    vs_server = [s.ttft_ms - (rec["first_content_ns"] - rec["received_ns"]) / 1e6
                 for s in samples if s.error is None and s.ttft_ms is not None
                 and (rec := truth.get(s.request_id or "")) and "first_content_ns" in rec]  # fmt: skip
    return {
        "C": concurrency, "warmup": warmup, "procs": getattr(engine, "count", 1),
        "n": len(ttft_err), "errors": sum(1 for s in samples if s.error is not None),
        "ttft_err_p50": pct(ttft_err, 50), "ttft_err_p99": pct(ttft_err, 99),
        "vs_server_p50": pct(vs_server, 50), "vs_server_p99": pct(vs_server, 99),
        "new_connections": sum(1 for s in samples if s.new_connection),
        "cpu_ms_per_req": health.cpu_ms_per_request, "loop_lag_p99_ms": health.loop_lag_p99_ms,
        "valid": not notes and not invalid, "notes": notes + method_notes,
    }  # fmt: skip


def run_independent(concurrencies: list[int], warmups: list[int], rounds: int, least: int) -> None:
    """Each setting in one process, and again as ``benchmark`` runs it when that differs."""
    proc, base_url = start_independent(TTFT_MS, ITL_MS, TOKENS)
    try:
        import uvloop

        print(f"independent server {base_url} pid {proc.pid} (OpenAI-compatible, raw asyncio); "
              "procs: client processes, * = what benchmark uses by default")  # fmt: skip
        print(f"{'C':>4} {'warmup':>6} {'procs':>5} {'n':>5} {'err':>3} | {'TTFT err p50':>12} "
              f"{'p99':>7} | {'TTFT-srv p50':>12} {'p99':>7} | {'new conns':>9} | "
              f"{'CPU-ms/req':>10} {'loop p99':>8} valid")  # fmt: skip
        for warmup in warmups:
            for c in concurrencies:
                default = workers_for(c, None, None)
                for workers in [1] + ([None] if default > 1 else []):
                    r = uvloop.run(measure_independent(base_url, c, max(least, c * rounds),
                                                       warmup, workers))  # fmt: skip
                    procs = f"{r['procs']}{'*' if r['procs'] == default else ''}"
                    print_row(
                        f"{r['C']:>4} {r['warmup']:>6} {procs:>5} {r['n']:>5} {r['errors']:>3} | "
                        f"{r['ttft_err_p50']:>+12.2f} {r['ttft_err_p99']:>+7.2f} | "
                        f"{r['vs_server_p50']:>+12.2f} {r['vs_server_p99']:>+7.2f} | "
                        f"{r['new_connections']:>9} | {r['cpu_ms_per_req']:>10.2f} "
                        f"{r['loop_lag_p99_ms']:>8.2f} {r['valid']}",
                        r["notes"],
                        "       ",
                    )
                    time.sleep(1.0)  # let the last process's exit settle before the next
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", default="1,32,128,256")
    parser.add_argument("--transports", default="aiohttp,httpx2")
    parser.add_argument("--rounds", type=int, default=4, help="measured requests per worker")
    parser.add_argument("--min-requests", type=int, default=30)
    parser.add_argument("--servers", default="emulator,independent")
    parser.add_argument("--warmups", default="0,2", help="independent server: --warmup values")
    args = parser.parse_args()
    concurrencies = [int(x) for x in args.concurrency.split(",")]
    print(
        f"load average before: {load_average()}; {os.cpu_count()} CPUs; "
        "all figures in ms unless named"
    )
    if "emulator" in args.servers.split(","):
        run_emulator(args, concurrencies)
    if "independent" in args.servers.split(","):
        warmups = [int(x) for x in args.warmups.split(",")]
        run_independent(concurrencies, warmups, args.rounds, args.min_requests)
    print(f"load average after: {load_average()}")


def run_emulator(args: argparse.Namespace, concurrencies: list[int]) -> None:
    proc, base_url = start_emulator(TTFT_MS, ITL_MS, TOKENS)
    try:
        import uvloop

        header = (
            f"{'transport':9} {'C':>4} {'n':>5} {'err':>3} | {'TTFT err p50':>12} {'p99':>7} | "
            f"{'TTFT-srv p50':>12} {'p99':>7} | "
            f"{'ITL err p50':>11} {'p99':>6} | {'total err p50':>13} {'p99':>7} | "
            f"{'req lag p50':>11} {'p99':>6} | "
            f"{'% ideal':>7} {'emu late':>8} {'CPU-ms/req':>10} {'emu CPU':>7} {'loop p99':>8} valid"
        )
        print(f"emulator {base_url} pid {proc.pid}; client pid {os.getpid()}")
        print(header)
        for transport in args.transports.split(","):
            for c in concurrencies:
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
