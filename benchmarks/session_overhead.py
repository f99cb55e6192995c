"""What our instrumentation costs a Claude Code session (run on demand, not in CI).

    python benchmarks/session_overhead.py CLAUDE [--rounds 10] [--task simple] [--route anthropic]

Runs the same emulated session (the task's scripted conversation, real Claude Code) with and
without the session benchmark's instrumentation — ``otel``: the OTLP receiver with Claude
Code's OpenTelemetry export; ``hook``: our hook in the session's settings; ``both``; ``none`` —
in interleaved rounds (a fresh random order each round, one warm-up per mode discarded), and
prints the median session wall time (launch → exit of ``claude -p``) of each mode with its n,
and the median of the paired differences against ``none``. The machine's
load average is printed too: on a shared box the figures are an order of magnitude.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


MODES = {"none": (False, False), "otel": (True, False), "hook": (False, True), "both": (True, True)}


def _loop(claude: Path, task, route: str, scratch: Path, mode: str, emulator, receiver):
    from sre_latency.claude_code.session_env import EmulatedEndpoint, provider_env
    from sre_latency.claude_code.session_loop import SessionLoop, SessionTarget
    from sre_latency.claude_code.statusline import glue_file
    from sre_latency.tools.session_measure import records_since

    profile = emulator.emulator.profile
    endpoint = EmulatedEndpoint(emulator.base_url, profile.aws_access_key_id,
                                profile.aws_secret_access_key)  # fmt: skip
    target = SessionTarget(route, provider_env(route, dict(os.environ), None, endpoint))
    otel, hook = MODES[mode]
    return SessionLoop(targets=[target], task=task, claude=claude, n=1, seed=0,
                       max_session_s=120, scratch_root=scratch, source_env=dict(os.environ),
                       python_dir=str(Path(sys.executable).parent),
                       hook=glue_file("sre-latency-hook") if hook else None,
                       instrument=otel or hook, records_since=records_since(emulator),
                       receiver=receiver if otel else None, tag=f"overhead-{mode}")  # fmt: skip


async def measure(args) -> dict[str, list[float]]:
    from sre_latency.claude_code.otlp import OtlpReceiver
    from sre_latency.claude_code.task_spec import load_task
    from sre_latency.tools.session_measure import start_emulator

    task = load_task(args.task)
    scratch = Path(tempfile.mkdtemp(prefix="sre-latency-overhead-"))
    opts = argparse.Namespace(emulate=True, **{f"emulator_{k}": None for k in (
        "ttft_ms", "itl_ms", "output_tokens", "jitter_ms", "stall_ms", "anthropic_overhead_ms",
        "openai_overhead_ms", "bedrock_overhead_ms", "seed")}, emulator_fault=[])  # fmt: skip
    emulator = start_emulator(opts, task, scratch / "workspace")
    times: dict[str, list[float]] = {mode: [] for mode in args.modes}
    rng = random.Random(1)
    with OtlpReceiver() as receiver:
        loops = {mode: _loop(Path(args.claude), task, args.route, scratch, mode, emulator,
                             receiver) for mode in times}  # fmt: skip
        for loop in loops.values():  # warm-up, discarded
            await loop.one(loop.targets[0], 0)
        for r in range(args.rounds):
            for mode in rng.sample(list(times), len(times)):
                record = await loops[mode].one(loops[mode].targets[0], r)
                if record.outcome == "ok" and record.success:
                    times[mode].append(record.wall_ms)
    emulator.stop()
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("claude")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--task", default="simple")
    ap.add_argument("--route", default="anthropic", choices=["anthropic", "bedrock"])
    ap.add_argument(
        "--modes",
        default="none,both",
        help="comma-separated: none, otel (receiver only), hook (hook only), both",
    )
    args = ap.parse_args()
    args.modes = args.modes.split(",")
    load_before = os.getloadavg()[0]
    times = asyncio.run(measure(args))
    print(f"task {args.task}, route {args.route}, {args.rounds} interleaved rounds, "
          f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f}")  # fmt: skip
    base = times.get("none", [])
    for mode, values in times.items():
        q1, _, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (values * 3)
        line = (f"  {mode:>5}: median {statistics.median(values):6.0f} ms "
                f"(IQR {q1:.0f}–{q3:.0f}, n={len(values)})")  # fmt: skip
        pairs = [b - a for a, b in zip(base, values, strict=False)] if mode != "none" else []
        if pairs:
            line += f"; paired vs none: median {statistics.median(pairs):+.0f} ms (n={len(pairs)})"
        print(line)


if __name__ == "__main__":
    main()
