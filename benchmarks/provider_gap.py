"""Can a run recover a known provider gap? Emulator with ``--bedrock-overhead-ms 350``.

The emulator runs in its own process and adds 350 ms before the first byte on Bedrock routes
only. The prober measures 40 interleaved rounds of anthropic vs bedrock (warm connections,
fresh random order per round) for each Bedrock API, and prints the paired TTFT gap with its
95 % bootstrap CI, plus the median network overhead (total − Bedrock's reported server time).
Target (issue 3): the recovered gap within ±3 ms of 350.

    python benchmarks/provider_gap.py [--rounds 40] [--overhead-ms 350] [--jitter-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
from datetime import UTC, datetime

from sre_latency.core.contract import ProviderResult, Sample
from sre_latency.core.paired import compare_pair
from sre_latency.emulator.profile import EmulatorProfile
from sre_latency.probe.engine import ProbeEngine
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.base import ProbeSettings
from sre_latency.probe.targets import build_targets, emulator_env


def start_emulator(overhead_ms: float, jitter_ms: float) -> tuple[subprocess.Popen, str]:
    """``sre-latency emulate`` in a child process; returns it and its base URL."""
    cmd = [
        sys.executable,
        "-m",
        "sre_latency",
        "emulate",
        "--port",
        "0",
        "--ttft-ms",
        "200",
        "--itl-ms",
        "10",
        "--output-tokens",
        "32",
        "--jitter-ms",
        str(jitter_ms),
        "--bedrock-overhead-ms",
        str(overhead_ms),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if "listening on " not in line:
        proc.kill()
        raise SystemExit(f"the emulator did not start: {line!r}")
    return proc, line.rsplit("listening on ", 1)[1].strip()


async def measure(url: str, api: str, rounds: int) -> dict[str, list[Sample]]:
    env = emulator_env({}, url, EmulatorProfile())
    targets = build_targets(["anthropic", "bedrock"], ["haiku-4.5"], env)
    settings = ProbeSettings(env=env, bedrock_api=api)
    engine = ProbeEngine(
        targets, settings, make_prompt(), n=rounds, max_tokens=32, warmup=2, seed=7
    )
    samples: dict[str, list[Sample]] = {t.label: [] for t in targets}
    await engine.run(lambda i, s: samples[targets[i].label].append(s))
    return samples


def _result(samples: list[Sample]) -> ProviderResult:
    return ProviderResult(provider="bedrock", model="haiku-4.5", endpoint="", samples=samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--overhead-ms", type=float, default=350.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    args = parser.parse_args()
    proc, url = start_emulator(args.overhead_ms, args.jitter_ms)
    worst = 0.0
    try:
        print(
            f"{datetime.now(UTC):%Y-%m-%d %H:%M}Z emulator {url}, injected Bedrock overhead "
            f"{args.overhead_ms:g} ms, jitter ±{args.jitter_ms:g} ms, {args.rounds} rounds"
        )
        for api in ("invoke", "converse"):
            samples = asyncio.run(measure(url, api, args.rounds))
            a, b = _result(samples["anthropic"]), _result(samples["bedrock"])
            ttft = compare_pair("anthropic", a, "bedrock", b, "ttft_ms")
            errors = sum(s.error is not None for group in samples.values() for s in group)
            if ttft is None or ttft.delta_p50_ms is None:
                print(f"{api:8s} no pairs (errors: {errors})")
                worst = float("inf")
                continue
            error_ms = ttft.delta_p50_ms - args.overhead_ms
            worst = max(worst, abs(error_ms))
            overheads = [
                s.network_overhead_ms for s in b.samples if s.network_overhead_ms is not None
            ]
            print(
                f"{api:8s} recovered TTFT gap {ttft.delta_p50_ms:7.2f} ms "
                f"[{ttft.ci95_low:.2f}, {ttft.ci95_high:.2f}] (n={ttft.paired_n} pairs), "
                f"error {error_ms:+.2f} ms; bedrock network overhead p50 "
                f"{statistics.median(overheads):.2f} ms; errors {errors}"
            )
            print(f"         {ttft.statement}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    verdict = "PASS" if worst <= 3.0 else "FAIL"
    print(f"{verdict}: worst |recovered − injected| = {worst:.2f} ms (target ≤ 3 ms)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
