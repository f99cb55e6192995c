"""Does the capacity search find a known capacity, and at what cost? ``python benchmarks/capacity.py``.

The emulator serves 8 generations at once (``--capacity 8``), each TTFT 200 ms then 64 tokens at
10 ms: 0.83 s per request, so it sustains 8 / 0.83 = 9.64 req/s; beyond that its queue grows
without bound. The search runs through the real ``capacity`` tool (the emulator in-process, as
``--emulate`` does) with the SLO ``ttft_ms p99 < 500``; for each arrival process this prints
the answer and its bracket against the truth, every step's verdict, and the requests spent
(measured, and warm-up).

With constant arrivals a queue forms only past the true capacity, so the answer should be
within one bisection step (10 %) below 9.64 req/s. With Poisson arrivals, requests bunch and
wait even below it: the SLO's answer is lower, and that difference is what the SLO costs. Its
truth is printed beside it: the highest rate at which a simulated queue of the same shape
(8 servers, 0.83 s each, TTFT = wait + 200 ms; 200,000 seeded arrivals of the same process)
keeps the SLO's TTFT percentile under its bound.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import os
import re
import tempfile
import time

import numpy as np

from sre_latency.emulator import EmulatorProfile
from sre_latency.emulator.capacity import sustainable_rate_per_s
from sre_latency.tools.capacity import CapacityOptions, capacity_result, start_capacity

PROFILE = {"ttft_ms": 200.0, "itl_ms": 10.0, "output_tokens": 64, "capacity": 8}


async def search(arrival: str, slo: str, start: float, warmup: int) -> tuple:
    opts = CapacityOptions(
        emulate=True, providers=["anthropic"], slo=slo, start=start, max_rate=64.0,
        arrival=arrival, warmup=warmup, step_s=10.0, max_tokens=64, seed=1,
        **{f"emulator_{k}": v for k, v in PROFILE.items()},
    )  # fmt: skip
    handle = await start_capacity(opts)
    run = await handle.wait()
    return capacity_result(run, handle.location, *handle.progress()), run


def queue_ttft_ms(rate: float, arrival: str, q: float, n: int = 200_000) -> float:
    """The ``q`` percentile of TTFT (wait for one of 8 servers + 200 ms) at ``rate`` req/s."""
    gaps = (np.random.default_rng(1).exponential(1 / rate, n) if arrival == "poisson"
            else np.full(n, 1 / rate))  # fmt: skip
    service_s = (PROFILE["ttft_ms"] + (PROFILE["output_tokens"] - 1) * PROFILE["itl_ms"]) / 1e3
    free, waits = [0.0] * PROFILE["capacity"], np.empty(n)
    for i, at in enumerate(np.cumsum(gaps).tolist()):
        start = max(at, heapq.heappop(free))
        waits[i] = start - at
        heapq.heappush(free, start + service_s)
    return float(np.percentile(waits, q)) * 1e3 + PROFILE["ttft_ms"]


def queue_answer(arrival: str, slo: str) -> float | None:
    """The highest rate (to 0.01 req/s) at which the queue model keeps ``slo`` (a TTFT bound)."""
    m = re.fullmatch(r"\s*ttft_ms p(\d+(?:\.\d+)?)\s*<\s*(\d+(?:\.\d+)?)\s*", slo)
    if m is None:
        return None
    q, bound = float(m.group(1)), float(m.group(2))
    low, high = 0.1, 20.0
    while high - low > 0.01:
        mid = (low + high) / 2
        low, high = (mid, high) if queue_ttft_ms(mid, arrival, q) < bound else (low, mid)
    return low


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrivals", default="constant,poisson")
    parser.add_argument("--slo", default="ttft_ms p99 < 500")
    parser.add_argument("--start", type=float, default=4.0)
    parser.add_argument("--warmup", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("SRE_LATENCY_HOME", tempfile.mkdtemp(prefix="sre-capacity-"))
    truth = sustainable_rate_per_s(EmulatorProfile.build(**PROFILE))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"emulator: capacity 8, TTFT 200 ms, 64 tokens at 10 ms: true capacity {truth:.2f} "
          f"req/s; SLO {args.slo}; {os.cpu_count()} CPUs; load average before: {load}")  # fmt: skip
    for arrival in args.arrivals.split(","):
        began = time.monotonic()
        result, _run = asyncio.run(search(arrival, args.slo, args.start, args.warmup))
        took = time.monotonic() - began
        warmups = args.warmup * len(result.steps)
        print(f"\n{arrival}: {result.answer}")
        model = queue_answer(arrival, args.slo)
        if model is not None:
            print(f"  the queue model's answer for {arrival} arrivals: {model:.2f} req/s "
                  f"(answer/model {(result.capacity or 0) / model:.3f})")  # fmt: skip
        print(f"  answer {result.capacity} req/s, bracket [{result.bracket_low}, "
              f"{result.bracket_high}] vs truth {truth:.2f}: answer/truth "
              f"{(result.capacity or 0) / truth:.3f}; {len(result.steps)} steps, "
              f"{result.requests_spent} measured requests + {warmups} warm-up, {took:.0f} s; "
              f"valid {result.valid}")  # fmt: skip
        for s in result.steps:
            flag = (
                "holds" if s.holds else "breach" + (" (stopped early)" if s.stopped_early else "")
            )
            print(f"    step {s.index}: {s.load:g} req/s n={s.n} {flag}: {s.evidence}")
    print(f"\nload average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
