"""How faithfully does the open loop keep its schedule? Run on demand: ``python benchmarks/arrivals.py``.

The emulator runs as a separate process (TTFT 100 ms, 16 tokens at 5 ms: ~175 ms per request,
so ~35 requests in flight at 200 req/s). For Poisson arrivals at each rate the prober sends
for ``--seconds`` and this prints, from the samples' own planned and actual send times:

- achieved rate vs intended: (sends − 1) / (last send − first send), target within 2 %. One
  draw of a Poisson process at 5 req/s for 20 s already differs from 5 req/s by ~10 %, so the
  achieved rate is also set against the rate of the planned draw itself ("planned"): that
  difference is the driver's own;
- the coefficient of variation of the actual inter-arrival gaps (target 1.00 ± 0.05) and
  their Kolmogorov–Smirnov distance to the exponential law of the intended rate (for scale:
  the 5 % critical value is about 1.36 / √n);
- send lag (actual − planned send time) p50 / p99 / max, target p99 ≤ 2 ms at 200 req/s;
- late sends (> 5 ms, which shift the schedule) and the client's own verdict;
- the same CV measured where the requests arrive (the emulator's receive times).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import urllib.request

import numpy as np
from fidelity_common import start_emulator

from sre_latency.core.contract import Sample
from sre_latency.probe.arrivals import make_arrivals
from sre_latency.probe.engine import ProbeEngine
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.base import ProbeSettings
from sre_latency.probe.targets import build_targets

PROFILE = (100, 5, 16)  # TTFT ms, ITL ms, output tokens


def received_ns(base_url: str, since: int) -> list[int]:
    with urllib.request.urlopen(f"{base_url}/_emulator/records?since={since}", timeout=60) as r:
        data = json.load(r)
    return sorted(rec["received_ns"] for rec in data["records"] if rec["protocol"])


def last_seq(base_url: str) -> int:
    with urllib.request.urlopen(f"{base_url}/_emulator/records?since=999999999", timeout=30) as r:
        return json.load(r)["last_seq"]


def ks_exponential(gaps: np.ndarray, rate: float) -> float:
    """sup |F_n(x) − (1 − e^(−rate·x))| over the sample."""
    x = np.sort(gaps)
    n = x.size
    cdf = 1 - np.exp(-rate * x)
    upper = np.arange(1, n + 1) / n - cdf
    lower = cdf - np.arange(0, n) / n
    return float(max(upper.max(), lower.max()))


async def measure(base_url: str, rate: float, seconds: float, seed: int) -> dict:
    env = {"ANTHROPIC_BASE_URL": base_url, "ANTHROPIC_API_KEY": "dummy"}
    targets = build_targets(["anthropic"], [], env)
    engine = ProbeEngine(
        targets, ProbeSettings(env=env), make_prompt("small"), n=1, warmup=4, seed=seed,
        max_tokens=16, arrivals=make_arrivals("poisson", rate, seed), duration_s=seconds,
    )  # fmt: skip
    samples: list[Sample] = []
    since = last_seq(base_url)
    await engine.run(lambda i, s: samples.append(s))
    health, notes = engine.health.report(engine.finished)
    arrivals = make_arrivals("poisson", rate, seed)
    planned = np.array(arrivals.offsets_ns(arrivals.count_within(seconds)), dtype=float) / 1e9
    sends = np.sort([s.send_s for s in samples])
    gaps = np.diff(sends)
    lag_ms = np.array([(s.send_s - s.intended_send_s) * 1000 for s in samples])
    arrived = np.diff(np.array(received_ns(base_url, since)[4:], dtype=float) / 1e9)
    return {
        "rate": rate,
        "n": len(samples),
        "errors": sum(1 for s in samples if s.error is not None),
        "achieved": (sends.size - 1) / (sends[-1] - sends[0]),
        "planned": (planned.size - 1) / (planned[-1] - planned[0]),
        "cv": gaps.std() / gaps.mean(),
        "ks": ks_exponential(gaps, rate),
        "ks_crit": 1.36 / math.sqrt(gaps.size),
        "lag_p50": float(np.percentile(lag_ms, 50)),
        "lag_p99": float(np.percentile(lag_ms, 99)),
        "lag_max": float(lag_ms.max()),
        "late": health.late_sends,
        "cv_emulator": arrived.std() / arrived.mean() if arrived.size > 1 else float("nan"),
        "cpu_ms": health.cpu_ms_per_request,
        "loop_p99": health.loop_lag_p99_ms,
        "valid": not notes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="5,50,200")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    proc, base_url = start_emulator(*PROFILE)
    try:
        import uvloop

        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"emulator {base_url} (TTFT 100 ms, 16 tokens at 5 ms); {os.cpu_count()} CPUs; "
              f"load average before: {load}")  # fmt: skip
        print(f"{'rate':>5} {'n':>5} {'err':>3} | {'planned':>8} {'achieved':>8} {'Δ%':>6} "
              f"{'Δ% plan':>7} | {'CV':>5} "
              f"{'KS':>6} {'KS 5%':>6} | {'lag p50':>7} {'p99':>6} {'max':>7} {'late':>4} | "
              f"{'CV@emu':>6} {'CPU-ms':>6} {'loop p99':>8} valid")  # fmt: skip
        for rate in (float(x) for x in args.rates.split(",")):
            r = uvloop.run(measure(base_url, rate, args.seconds, args.seed))
            print(
                f"{r['rate']:>5g} {r['n']:>5} {r['errors']:>3} | {r['planned']:>8.2f} "
                f"{r['achieved']:>8.2f} {100 * (r['achieved'] / rate - 1):>+6.2f} "
                f"{100 * (r['achieved'] / r['planned'] - 1):>+7.2f} | {r['cv']:>5.3f} {r['ks']:>6.4f} "
                f"{r['ks_crit']:>6.4f} | {r['lag_p50']:>7.3f} {r['lag_p99']:>6.3f} "
                f"{r['lag_max']:>7.2f} {r['late']:>4} | {r['cv_emulator']:>6.3f} "
                f"{r['cpu_ms']:>6.2f} {r['loop_p99']:>8.2f} {r['valid']}",
                flush=True,
            )
        print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
