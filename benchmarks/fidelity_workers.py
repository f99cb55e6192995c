"""Fidelity at 256 and 512 streams with worker processes: ``python benchmarks/fidelity_workers.py``.

The emulator runs as a separate process (TTFT 200 ms, ITL 10 ms, 64 tokens) and records when it
sent every event. The prober measures it with a ``WorkerPool`` (one process per core by default)
and, for comparison, with one process. Each sample is joined to the emulator's record by request
id; its TTFT error is the measured TTFT minus the truth (first content delta handed to the
socket minus the request start, both on the machine's one monotonic clock; a worker's start is
placed on this process's clock through the wall clock, which costs microseconds of accuracy).

Per setting it prints the TTFT error p50/p99 (target p50 ≤ 2 ms, p99 ≤ 10 ms), the client
CPU-ms per stream (target ≤ 2 per 64-token stream: the workers' measuring threads over their
measured phase, and apart from it what this process spent merging and journalling), the
loop lag p99 of the worst worker, and the engines' own verdict.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from fidelity_common import (
    Clock,
    last_seq,
    load_average,
    print_row,
    records,
    stamping_errors,
    start_emulator,
)

from sre_latency.core.contract import Sample
from sre_latency.probe.engine import ProbeEngine, build_adapters
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.base import ProbeSettings
from sre_latency.probe.targets import build_targets
from sre_latency.probe.workers import WorkerConfig, WorkerPool

TTFT_MS, ITL_MS, TOKENS = 200.0, 10.0, 64


async def measure(base_url: str, streams: int, rounds: int, workers: int) -> dict:
    env = {"ANTHROPIC_BASE_URL": base_url, "ANTHROPIC_API_KEY": "dummy"}
    targets = build_targets(["anthropic"], [], env)
    settings = ProbeSettings(env=env)
    knobs = {"n": streams * rounds, "warmup": streams // max(1, workers), "concurrency": streams,
             "max_tokens": TOKENS, "seed": 1}  # fmt: skip
    if workers > 1:
        config = WorkerConfig(targets, settings, make_prompt("small"), knobs)
        engine = WorkerPool(targets, build_adapters(targets, settings), config, workers)
    else:
        engine = ProbeEngine(targets, settings, make_prompt("small"), **knobs)
    samples: list[Sample] = []
    since = last_seq(base_url)
    clock = Clock.now()
    cpu0 = time.process_time()
    await engine.run(lambda i, s: samples.append(s))
    parent_cpu_s = time.process_time() - cpu0
    health, notes = engine.health.report(engine.finished)
    errors = stamping_errors(samples, records(base_url, since), Clock.of(engine, clock))
    err = np.array(errors)
    return {
        "streams": streams, "workers": workers, "n": int(err.size),
        "failed": sum(1 for s in samples if s.error is not None),
        "ttft_p50": float(np.percentile(err, 50)), "ttft_p99": float(np.percentile(err, 99)),
        "cpu_ms": health.cpu_ms_per_request or float("nan"),
        "parent_cpu_ms": 1000 * parent_cpu_s / max(1, len(samples)) if workers > 1 else float("nan"),
        "loop_p99": health.loop_lag_p99_ms or float("nan"), "valid": not notes, "notes": notes,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", default="256,512")
    parser.add_argument("--rounds", type=int, default=4, help="measured requests per stream")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--compare-single", action="store_true", help="also one process")
    args = parser.parse_args()
    proc, base_url = start_emulator(TTFT_MS, ITL_MS, TOKENS, "--max-records", "1000000")
    try:
        import uvloop

        print(f"emulator {base_url}; {os.cpu_count()} CPUs; load average before: {load_average()}")
        print(f"{'streams':>7} {'workers':>7} {'n':>5} {'fail':>4} | {'TTFT err p50':>12} "
              f"{'p99':>7} | {'CPU-ms/stream':>13} {'parent':>6} | {'loop p99':>8} valid")  # fmt: skip
        for streams in (int(x) for x in args.streams.split(",")):
            settings = [args.workers] + ([1] if args.compare_single else [])
            for workers in settings:
                r = uvloop.run(measure(base_url, streams, args.rounds, workers))
                print_row(
                    f"{r['streams']:>7} {r['workers']:>7} {r['n']:>5} {r['failed']:>4} | "
                    f"{r['ttft_p50']:>+12.2f} {r['ttft_p99']:>+7.2f} | {r['cpu_ms']:>13.2f} "
                    f"{r['parent_cpu_ms']:>6.2f} | {r['loop_p99']:>8.2f} {r['valid']}",
                    r["notes"],
                )
        print(f"load average after: {load_average()}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
