"""Measure a latency budget: one warm benchmark and one cold benchmark, merged into one run.

The two phases are ordinary benchmark runs (saved in the store, so nothing measured is ever
lost); the merged run (kind ``latency_budget``) keeps every sample with its ``cold`` flag and
names its two parts in ``extra``. A cancelled measurement saves the merged partial run too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sre_latency.core.contract import ProviderResult, Run, Sample
from sre_latency.errors import ConfigError
from sre_latency.store import RunStore, environment, new_run_id

OnSample = Callable[[str, Sample, int, int], None]  # label, sample, finished, planned


class LatencyBudgetOptions(BaseModel):
    """What to measure; the CLI flags and MCP parameters have the same names."""

    model_config = ConfigDict(extra="forbid")

    providers: list[str] | str | None = None  # None: anthropic (+openai, bedrock when emulated)
    model: str | None = None
    n: int = Field(20, ge=2, le=100_000)  # requests per provider in each mode
    max_tokens: int = Field(64, ge=1, le=200_000)
    warmup: int = Field(2, ge=0, le=1000)
    timeout_s: float = Field(60.0, gt=0, le=3600)
    emulate: bool = False
    seed: int | None = None
    output: Path | None = None  # the merged run file (default: the results root)
    emulator: dict[str, Any] = Field(default_factory=dict)  # EmulatorProfile overrides

    @classmethod
    def build(cls, **values: Any) -> LatencyBudgetOptions:
        """Validate CLI or API values; a bad one is a ConfigError naming the flag."""
        try:
            return cls(**values)
        except ValidationError as exc:
            err = exc.errors()[0]
            flag = "-n" if err["loc"] == ("n",) else "--" + str(err["loc"][0]).replace("_", "-")
            raise ConfigError(f"bad {flag}: {err['msg']}.") from None


def _benchmark_options(opts: LatencyBudgetOptions, cold: bool):
    from sre_latency.probe.targets import split_list
    from sre_latency.tools.benchmark import BenchmarkOptions

    return BenchmarkOptions(
        providers=split_list(opts.providers),
        models=[opts.model] if opts.model else [],
        n=opts.n,
        max_tokens=opts.max_tokens,
        warmup=opts.warmup,
        timeout_s=opts.timeout_s,
        cold=cold,
        emulate=opts.emulate,
        seed=opts.seed,
        emulator=dict(opts.emulator),
    )


def merge_runs(
    warm: Run | None, cold: Run | None, complete: bool, run_id: str | None = None
) -> Run:
    """One ``latency_budget`` run holding the samples of both phases (cold ones flagged)."""
    from sre_latency.core.stats import summarize

    parts = [r for r in (warm, cold) if r is not None]
    first = parts[0]
    created = datetime.now(UTC)
    providers: dict[str, ProviderResult] = {}
    for part in parts:
        for label, result in part.providers.items():
            merged = providers.setdefault(
                label, result.model_copy(update={"samples": []}, deep=True)
            )
            offset = len(merged.samples)
            for s in result.samples:
                merged.samples.append(
                    s.model_copy(update={"seq": s.seq + offset, "cold": part.config.cold})
                )
    for result in providers.values():
        result.summary = summarize(result.samples)
    config = first.config.model_copy(update={"cold": False})
    notes = [n for p in parts for n in p.validity_notes]
    return Run(
        run_id=run_id or new_run_id("latency_budget", created),
        kind="latency_budget",
        created_at=created,
        finished_at=created,
        complete=complete and all(p.complete for p in parts) and len(parts) == 2,
        valid=all(p.valid for p in parts),
        validity_notes=notes,
        config=config,
        environment=environment(),
        providers=providers,
        extra={
            "warm_run_id": warm.run_id if warm else None,
            "cold_run_id": cold.run_id if cold else None,
        },
    )


async def measure_budget_run(
    opts: LatencyBudgetOptions, on_sample: OnSample | None = None, run_id: str | None = None
) -> tuple[Run, Path]:
    """Run the warm then the cold phase and save the merged run; returns it and its path.

    ``run_id`` names the merged run up front, so a caller can point at it while it runs.
    """
    from sre_latency.tools.benchmark import start_benchmark

    done: dict[str, Run] = {}
    offset = 0
    planned_total = 0

    def relay(label: str, sample: Sample, finished: int, planned: int) -> None:
        if on_sample is not None:
            on_sample(label, sample, offset + finished, planned_total or 2 * planned)

    store = RunStore()
    path = Path(opts.output).expanduser() if opts.output else None
    complete = False
    try:
        for mode in ("warm", "cold"):
            handle = await start_benchmark(_benchmark_options(opts, mode == "cold"), relay)
            planned_total = 2 * handle.progress()[1]
            try:
                done[mode] = await handle.wait()
            except asyncio.CancelledError:
                done[mode] = handle.snapshot()
                raise
            offset = handle.progress()[0]
        complete = True
    finally:
        if done:
            run = merge_runs(done.get("warm"), done.get("cold"), complete, run_id)
            path = path or store.path_for(run.run_id)
            store.save(run, path)
    return run, path
