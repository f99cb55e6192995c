"""The ``latency_budget`` tool: where each millisecond of a request goes, warm and cold.

Measuring runs two ordinary benchmarks, warm (reused connections) then cold (a fresh connection
per request), each saved in the store so nothing measured is lost, and merges them into one run
of kind ``latency_budget`` whose samples keep their ``cold`` flag. Both phases go through the
same HTTP stack (httpx2 unless ``transport`` names one), so the cold penalty is the
connection's, not the difference between two clients; the run records the stack of each phase
(``extra.transport_by_phase``). With ``run``, a saved run is
analysed instead, for free. The analysis itself is ``analysis.budget``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, field_validator

from sre_latency.core.contract import ProviderResult, Run, Sample
from sre_latency.errors import ConfigError
from sre_latency.probe.handle import TaskRun
from sre_latency.store import RunStore, environment, new_run_id
from sre_latency.tools.options import Face, split_list
from sre_latency.tools.probe_options import ProbeOptions, run_output
from sre_latency.tools.store_option import store_for

if TYPE_CHECKING:
    from sre_latency.analysis.budget import LatencyBudgetResult

OnSample = Callable[[str, Sample, int, int], None]  # label, sample, finished, planned
MEASURING_ONLY = ("providers", "model", "emulate", "output")
DESCRIPTION = """\
Where each millisecond of a request goes, per provider: DNS, TCP connect, TLS, server wait
(request sent → headers), headers → first token, generation; warm (reused) and cold (fresh)
connections side by side, with provider-vs-provider differences per phase and 95 % CIs; for
Bedrock, server latency vs network overhead. Use it to explain WHY one path is slower.
Measuring COSTS API CREDITS (2 × (n + warmup) requests per provider) unless emulate=true; with
run, it analyses a saved run for free."""


class LatencyBudgetOptions(ProbeOptions):
    """What to measure (or which saved run to read)."""

    run: Annotated[str | None, Face(positional=True)] = Field(
        None,
        description="analyse this saved run (id, file name or path) instead of measuring; "
        "costs nothing",
    )
    providers: Annotated[list[str], Face(metavar="LIST")] = Field(
        default_factory=list,
        description="providers to measure, comma-separated (default anthropic; with emulate, "
        "all three)",
    )
    n: Annotated[int, Face(flags=("-n",), agent_le=200)] = Field(
        20, ge=2, le=100_000, description="requests per provider in each mode (warm, cold)"
    )
    warmup: Annotated[int, Face(agent_le=20)] = Field(
        2, ge=0, le=1000, description="discarded warm-up requests per target in each mode"
    )
    seed: int | None = Field(None, description="seed of the interleaving order (default: drawn)")
    output: Annotated[str | None, Face(metavar="FILE")] = Field(
        None,
        description="where to save the merged run (CLI: a path; MCP: a new file name); "
        "default <run_id>.json in the results root",
    )

    @field_validator("providers", mode="before")
    @classmethod
    def _providers(cls, value: object) -> list[str]:
        return split_list(value)  # type: ignore[arg-type]

    def measuring_options_given(self) -> list[str]:
        return ["--" + name for name in MEASURING_ONLY if getattr(self, name)]


def saved_budget(opts: LatencyBudgetOptions, *, store: RunStore | None = None,
                 confined: bool = False) -> LatencyBudgetResult:  # fmt: skip
    """The budget of the saved run ``opts.run`` (any measuring run; cold samples split apart)."""
    from sre_latency.analysis.budget import latency_budget_from_run
    from sre_latency.analysis.columns import load_columns

    given = opts.measuring_options_given()
    if given:
        raise ConfigError(
            f"{', '.join(given)} only apply when measuring, and run reads a saved run: drop "
            "run to measure, or drop those to analyse the run."
        )
    store = store_for(opts, store)
    path = store.resolve(opts.run, confined=confined)
    return latency_budget_from_run(load_columns(path, store))


def budget_transport(opts: LatencyBudgetOptions) -> str:
    """One stack for both phases: httpx2 (it times DNS, TCP and TLS apart) unless one is named."""
    return "httpx2" if opts.transport == "auto" else opts.transport


def _phase_options(opts: LatencyBudgetOptions, cold: bool):
    from sre_latency.tools.benchmark import BenchmarkOptions

    exclude = {"run", "output", "providers", "n", "warmup", "seed", "transport"}
    shared = opts.model_dump(exclude=exclude)
    return BenchmarkOptions(
        **shared, providers=opts.providers, n=opts.n, warmup=opts.warmup, seed=opts.seed,
        cold=cold, transport=budget_transport(opts),
    )  # fmt: skip


def merge_runs(warm: Run | None, cold: Run | None, complete: bool, run_id: str) -> Run:
    """One ``latency_budget`` run holding the samples of both phases (cold ones flagged)."""
    from sre_latency.core.stats import summarize

    parts = [r for r in (warm, cold) if r is not None]
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
    return Run(
        run_id=run_id,
        kind="latency_budget",
        created_at=created,
        finished_at=created,
        complete=complete and all(p.complete for p in parts) and len(parts) == 2,
        valid=all(p.valid for p in parts),
        validity_notes=[n for p in parts for n in p.validity_notes],
        config=parts[0].config.model_copy(update={"cold": False}),
        environment=environment(),
        providers=providers,
        extra={"warm_run_id": warm.run_id if warm else None,
               "cold_run_id": cold.run_id if cold else None,
               "transport_by_phase": {name: part.config.transport for name, part in
                                      (("warm", warm), ("cold", cold)) if part is not None}},
    )  # fmt: skip


class BudgetMeasurement:
    """The warm phase, then the cold phase, then the merged run: one task, one handle."""

    def __init__(self, opts: LatencyBudgetOptions, store: RunStore, output: Path | None,
                 on_sample: OnSample | None):  # fmt: skip
        self.opts, self.store, self.on_sample = opts, store, on_sample
        self.run_id = new_run_id("latency_budget")  # named up front: the caller can point at it
        self.path = output or store.path_for(self.run_id)  # type: ignore[attr-defined]
        self.run: Run | None = None
        self.finished = 0
        self.planned = 0
        self._offset = 0

    def _relay(self, label: str, sample: Sample, finished: int, planned: int) -> None:
        self.finished = self._offset + finished
        if self.on_sample is not None:
            self.on_sample(label, sample, self.finished, self.planned)

    async def measure(self) -> Run:
        from sre_latency.tools.benchmark import start_benchmark

        done: dict[str, Run] = {}
        complete = False
        try:
            for mode in ("warm", "cold"):
                phase = _phase_options(self.opts, cold=mode == "cold")
                handle = await start_benchmark(phase, self._relay, store=self.store)
                self.planned = 2 * handle.progress()[1]
                try:
                    done[mode] = await handle.wait()
                except asyncio.CancelledError:
                    done[mode] = handle.snapshot()  # type: ignore[assignment]
                    raise
                self._offset = handle.progress()[0]
            complete = True
        finally:
            if done:
                self.run = merge_runs(done.get("warm"), done.get("cold"), complete, self.run_id)
                self.store.save(self.run, self.path)
        assert self.run is not None
        return self.run


async def start_latency_budget(
    opts: LatencyBudgetOptions, on_sample: OnSample | None = None, *,
    store: RunStore | None = None, confined: bool = False,
) -> TaskRun:  # fmt: skip
    """Start measuring warm then cold in the background; the handle follows the merged run."""
    if opts.run is not None:
        raise ConfigError("run reads a saved run; use saved_budget for it.")
    store = store_for(opts, store)
    output = run_output(store, opts.output, confined=confined)
    _phase_options(opts, cold=False)  # bad options fail here, before anything starts
    m = BudgetMeasurement(opts, store, output, on_sample)
    task = asyncio.get_running_loop().create_task(m.measure())
    return TaskRun(m.run_id, "latency_budget", str(m.path), task, lambda: m.run,
                   lambda: (m.finished, m.planned))  # fmt: skip


async def run_latency_budget(
    opts: LatencyBudgetOptions, on_sample: OnSample | None = None, *, store: RunStore | None = None
) -> LatencyBudgetResult:
    """Measure warm then cold, save the merged run, and return its budget."""
    handle = await start_latency_budget(opts, on_sample, store=store)
    return budget_result(await handle.wait(), handle.location)


def budget_result(run: Run, location: str) -> LatencyBudgetResult:
    from sre_latency.analysis.budget import latency_budget_from_run
    from sre_latency.analysis.columns import columns_from_run

    return latency_budget_from_run(columns_from_run(run, location))


def finish(run: Run, location: str, finished: int, planned: int) -> LatencyBudgetResult:
    return budget_result(run, location)


OPTIONS = LatencyBudgetOptions
RESULT = "sre_latency.analysis.budget:LatencyBudgetResult"
start = start_latency_budget


def saved(opts: LatencyBudgetOptions, *, store: RunStore | None = None, confined: bool = False):
    """The budget of a saved run when ``run`` is given; None when there is something to measure."""
    return saved_budget(opts, store=store, confined=confined) if opts.run is not None else None


def planned_per_target(opts) -> int:
    """Measured requests per target (for "bedrock 12/40" progress messages)."""
    return 2 * opts.n
