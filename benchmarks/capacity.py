"""Does the capacity search find a known capacity, and at what cost? ``python benchmarks/capacity.py``.

The emulator serves 8 generations at once (``--capacity 8``), each TTFT 200 ms then 64 tokens at
10 ms: 0.83 s per request, so it sustains 8 / 0.83 = 9.64 req/s; beyond that its queue grows
without bound. The search runs through the real ``capacity`` tool (the emulator in-process, as
``--emulate`` does) with the SLO ``ttft_ms p99 < 500``; for each arrival process this prints
the answer and its bracket against the truth, every step's verdict, and the requests spent
(measured, and warm-up).

With constant arrivals a queue forms only past the true capacity, so the answer should be
within one bisection step (10 %) below 9.64 req/s. With Poisson arrivals, requests bunch and
wait even below it: the SLO's answer is lower, and that difference is what the SLO costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time

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
