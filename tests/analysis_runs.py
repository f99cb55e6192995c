"""Real run files for the analysis-tool tests, produced by the emulator through ``run_benchmark``.

Each run is measured once per test session (a few seconds in all) into a session temp dir and
shared read-only; tests copy a file when they need it under their own results root. Profiles:

- ``faulty``: anthropic + openai, 30 rounds, TTFT 5 ms, ITL 1 ms, 8 tokens; openai has a known
  extra 20 ms of server overhead; 10 % rate_limit, 5 % stream_error and 5 % server faults.
- ``base`` / ``same``: anthropic + openai, 20 rounds, TTFT 30 ms, no faults, openai +20 ms
  (two seeds of one profile); ``slow``: the same with TTFT 60 ms.
- ``dead``: anthropic, 5 rounds, every request refused with 401.
- ``partial``: the ``faulty`` profile cancelled after 8 finished requests (``complete: false``).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

_RUNS: dict[str, Path] = {}
FAST = {"ttft_ms": 5, "itl_ms": 1, "output_tokens": 8}
FAULTS = ["rate_limit:0.1", "stream_error:0.05", "server:0.05"]
PROFILES: dict[str, dict[str, Any]] = {
    "faulty": {
        "providers": ["anthropic", "openai"], "n": 30,
        "emulator": {**FAST, "openai_overhead_ms": 20, "faults": FAULTS, "seed": 1},
    },
    "base": {
        "providers": ["anthropic", "openai"], "n": 20,
        "emulator": {**FAST, "ttft_ms": 30, "openai_overhead_ms": 20, "seed": 2},
    },
    "same": {
        "providers": ["anthropic", "openai"], "n": 20,
        "emulator": {**FAST, "ttft_ms": 30, "openai_overhead_ms": 20, "seed": 3},
    },
    "slow": {
        "providers": ["anthropic", "openai"], "n": 20,
        "emulator": {**FAST, "ttft_ms": 60, "openai_overhead_ms": 20, "seed": 4},
    },
    "dead": {"providers": ["anthropic"], "n": 5, "emulator": {**FAST, "faults": ["auth:1.0"]}},
}  # fmt: skip


def _options(name: str, output: Path):
    from sre_latency.tools.benchmark import BenchmarkOptions

    p = PROFILES[name]
    return BenchmarkOptions(
        providers=p["providers"], n=p["n"], max_tokens=8, warmup=1, emulate=True, seed=7,
        timeout_s=20, output=output, emulator=p["emulator"],
    )  # fmt: skip


async def _partial(output: Path) -> None:
    from sre_latency.tools.benchmark import start_benchmark

    enough = asyncio.Event()

    def on_sample(label, sample, finished, planned) -> None:
        if finished >= 8:
            enough.set()

    opts = _options("faulty", output).model_copy(update={"n": 200})
    handle = await start_benchmark(opts, on_sample)
    await asyncio.wait_for(enough.wait(), timeout=30)
    handle.cancel()
    with contextlib.suppress(asyncio.CancelledError):  # the cancelled run is saved first
        await asyncio.wait_for(handle.wait(), timeout=30)


def emulated_run(name: str, tmp_path_factory) -> Path:
    """The run file of profile ``name`` (measured on first use, then reused)."""
    if name not in _RUNS:
        from sre_latency.tools.benchmark import run_benchmark

        out = tmp_path_factory.mktemp(f"run-{name}") / f"{name}.json"
        if name == "partial":
            asyncio.run(_partial(out))
        else:
            asyncio.run(run_benchmark(_options(name, out)))
        assert out.exists()
        _RUNS[name] = out
    return _RUNS[name]
