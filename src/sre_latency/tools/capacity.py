"""The ``capacity`` tool: the highest request rate (or concurrency) at which an SLO still holds.

It is a benchmark whose steps a search decides (``analysis.capacity``, ``capacity_search``):
open-loop steps at doubling rates until the first clear breach, then bisection; each step has
its own warm-up and is long enough for the SLO's percentile (a p99 needs 300 requests per step
and target), and stops early once its breach is certain. Every step's samples go into one run
file of kind ``capacity``, with the verdicts and the answer in ``extra.capacity``; ``report``
draws its latency–throughput curve.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model, field_validator

from sre_latency.core.contract import Run, Sample
from sre_latency.errors import ConfigError
from sre_latency.store import RunStore
from sre_latency.tools.benchmark import BenchmarkOptions
from sre_latency.tools.options import Face, Options, split_list
from sre_latency.tools.probe_options import ProbeOptions
from sre_latency.tools.store_option import store_for

DESCRIPTION = """\
Find the highest request rate (per target) at which an SLO still holds, e.g. "how many
requests/s can this gateway take while TTFT p99 stays under 2 s?": open-loop steps at doubling
rates until the first clear breach, then bisection; each step long enough for its percentile
(a p99 needs 300 requests per step); failed requests count as missing every latency bound.
Answers with evidence: "sustains 14 req/s [12, 15] with TTFT p99 1.60 s; at 16 req/s TTFT p99
is 3.90 s and 4 % time out". COSTS API CREDITS (hundreds to thousands of requests) unless
emulate=true; watch_pid records the gateway's CPU and memory beside the load. Over MCP it
answers at max_seconds and goes on in the background (follow it with run_status)."""
SHARED = ("providers", "warmup", "seed", "output", "arrival", "concurrency", "watch_pid",
          "watch_cmd", "workers")  # fmt: skip


class _CapacityOptions(ProbeOptions):
    slo: Annotated[str | None, Face(metavar='FILE|"ttft_ms p99 < 2000"')] = Field(
        None,
        description="the SLO each step must keep: an SLO file (TOML: its thresholds and "
        "[goodput]) or thresholds, comma-separated, e.g. 'ttft_ms p99 < 2000, error_rate < 1%'",
    )
    goodput: float | None = Field(
        None, gt=0, lt=1,
        description="also require this share of requests to meet the per-request SLO (the "
        "file's [goodput], or the thresholds' own bounds), e.g. 0.99",
    )  # fmt: skip
    search: Literal["rate", "concurrency"] = Field(
        "rate", description="what the search raises: the open-loop request rate per target, or "
        "the closed-loop concurrency",
    )  # fmt: skip
    start: Annotated[float, Face(agent_le=1000)] = Field(
        1.0, gt=0, le=100_000,
        description="the first load tried (requests/s per target, or a concurrency)",
    )  # fmt: skip
    max_rate: Annotated[float, Face(agent_le=1000)] = Field(
        64.0, gt=0, le=100_000,
        description="the highest load tried (requests/s per target, or a concurrency)",
    )  # fmt: skip
    resolution: float = Field(
        0.1, gt=0, le=1,
        description="bisection stops when the highest load that held and the lowest that broke "
        "are this close (a fraction: 0.1 is 10 %)",
    )  # fmt: skip
    step_s: Annotated[float, Face(agent_le=600)] = Field(
        10.0, ge=0, le=3600,
        description="each open-loop step lasts at least this long, in seconds, so a queue has "
        "time to grow",
    )  # fmt: skip
    min_requests: Annotated[int | None, Face(agent_le=5000)] = Field(
        None, ge=1, le=100_000,
        description="measured requests per step and target (default: what the SLO's "
        "percentile needs: 300 for a p99, 60 for a p95, at least 20)",
    )  # fmt: skip
    max_steps: int = Field(12, ge=1, le=50, description="at most this many steps")

    @field_validator("providers", mode="before", check_fields=False)
    @classmethod
    def _providers(cls, value: object) -> list[str]:
        return split_list(value)  # type: ignore[arg-type]


def _shared(name: str) -> tuple[Any, Any]:
    info = BenchmarkOptions.model_fields[name]
    return info.annotation, info


CapacityOptions: type[Options] = create_model(  # type: ignore[call-overload]
    "CapacityOptions", __base__=_CapacityOptions, __doc__="Every knob of a capacity search.",
    **{name: _shared(name) for name in SHARED},
)  # fmt: skip


class CapacityStep(BaseModel):
    index: int
    load: float
    n: int
    holds: bool
    clear: bool
    stopped_early: bool
    evidence: str


class CapacityResult(BaseModel):
    """What the search found, readable as bare JSON."""

    run_id: str
    path: str
    complete: bool
    valid: bool
    validity_notes: list[str]
    slo: str
    search: str
    unit: str
    capacity: float | None = Field(description="the highest load that held (None: none did)")
    bracket_low: float | None = Field(description="the highest load that held with margin")
    bracket_high: float | None = Field(description="the lowest load that broke (None: none)")
    requests_per_step: int
    why_requests_per_step: str
    requests_spent: int = Field(description="measured requests of every step (warm-up apart)")
    steps: list[CapacityStep]
    answer: str
    summary: str


class CapacityPlan:
    """The steps a ``CapacitySearch`` asks for (a ``probe.steps.StepPlan``)."""

    def __init__(self, opts: Any):
        from sre_latency.analysis.capacity import parse_criterion
        from sre_latency.analysis.capacity_search import CapacitySearch

        if not opts.slo:
            raise ConfigError("capacity needs --slo: an SLO file or 'ttft_ms p99 < 2000'.")
        if opts.start > opts.max_rate:
            raise ConfigError("--start is above --max-rate: the search would try nothing.")
        self.opts = opts
        self.labels: list[str] = []  # the targets', in engine order (``bind``)
        self.criterion = parse_criterion(opts.slo, opts.goodput)
        self.n = opts.min_requests or self.criterion.samples_needed()
        rate = opts.search == "rate"
        self.search = CapacitySearch(opts.start, opts.max_rate, opts.resolution, integer=not rate,
                                     unit="req/s" if rate else "concurrent requests")  # fmt: skip
        self.watch: Any = None
        self.stopped = False

    def _spec(self, load: float | None):
        from sre_latency.analysis.capacity import BreachWatch
        from sre_latency.probe.steps import StepSpec

        if load is None or len(self.search.history) >= self.opts.max_steps:
            return None
        self.stopped = False
        if self.opts.search == "rate":
            n = max(self.n, math.ceil(load * self.opts.step_s))
            spec = StepSpec(
                load, self.opts.concurrency, n, None, self.opts.arrival, f"{load:g} req/s"
            )
        else:
            n = max(self.n, 4 * int(load))
            spec = StepSpec(None, int(load), n, None, self.opts.arrival, f"concurrency {load:g}")
        self.watch = BreachWatch(self.criterion, n)
        return spec

    def bind(self, targets) -> None:
        self.labels = [t.label for t in targets]

    def first(self):
        return self._spec(self.search.next())

    def observe(self, index: int, spec, target: int, sample: Sample) -> bool:
        if not self.stopped and self.watch.see(self.labels[target], sample):
            self.stopped = True
        return self.stopped

    def after(self, index: int, spec, samples: dict[int, list[Sample]]):
        from sre_latency.analysis.capacity import judge

        load = spec.rate_per_s if spec.rate_per_s is not None else spec.concurrency
        by_label = {label: samples.get(i, []) for i, label in enumerate(self.labels)}
        self.search.record(judge(load, by_label, self.criterion, self.stopped))
        return self._spec(self.search.next())

    def remaining(self, index: int) -> list:
        return []

    def finalize(self, run: Run) -> None:
        """The verdicts and the answer, into the run file (``extra.capacity``, each step)."""
        lower, upper = self.search.bracket()
        steps = [CapacityStep(index=i, load=v.offered, n=v.n, holds=v.holds, clear=v.clear,
                              stopped_early=v.stopped_early, evidence=v.evidence)
                 for i, v in enumerate(self.search.history)]  # fmt: skip
        for step, judged in zip(run.steps, steps, strict=False):
            step.verdict = ("holds: " if judged.holds else "breached: ") + judged.evidence
        run.extra["capacity"] = {
            "answer": self.search.answer(), "slo": self.criterion.text, "search": self.opts.search,
            "unit": self.search.unit, "capacity": self.search.lo, "bracket_low": lower,
            "bracket_high": upper, "requests_per_step": self.n,
            "why_requests_per_step": self.criterion.why_n(),
            "steps": [s.model_dump() for s in steps],
        }  # fmt: skip


def _benchmark_options(opts: Any) -> BenchmarkOptions:
    shared = {k: getattr(opts, k) for k in BenchmarkOptions.model_fields
              if k in type(opts).model_fields and k not in ("n",)}  # fmt: skip
    if opts.search == "rate":
        shared["rate"] = opts.start  # an open loop (the plan sets each step's rate)
    else:
        shared["arrival"] = BenchmarkOptions.model_fields["arrival"].default
    return BenchmarkOptions(**shared)


async def start_capacity(opts: Any, on_sample=None, *, store: RunStore | None = None,
                         confined: bool = False):  # fmt: skip
    """Check the SLO and the options, then search in the background; the handle follows it."""
    from sre_latency.probe.targets import parse_providers
    from sre_latency.tools.benchmark import (
        DEFAULT_PROVIDERS,
        EMULATE_DEFAULT_PROVIDERS,
        start_benchmark,
    )
    from sre_latency.tools.load import LoadHooks

    bench = _benchmark_options(opts)
    providers = parse_providers(
        opts.providers, EMULATE_DEFAULT_PROVIDERS[:1] if opts.emulate else DEFAULT_PROVIDERS
    )
    bench = bench.model_copy(update={"providers": providers})
    store = store_for(opts, store)
    if confined and opts.slo and not any(op in opts.slo for op in "<>"):  # a file: under the root
        from sre_latency.store.resolve import file_under_root

        opts = opts.model_copy(update={"slo": str(file_under_root(store.home, opts.slo))})
    plan = CapacityPlan(opts)
    config = {"slo": plan.criterion.text, "goodput_share": opts.goodput, "search": opts.search,
              "start": opts.start, "max_rate": opts.max_rate, "resolution": opts.resolution,
              "step_s": opts.step_s, "requests_per_step": plan.n, "rate_per_s": None}  # fmt: skip
    hooks = LoadHooks(plan=plan, config=config, finalize=plan.finalize)
    handle = await start_benchmark(bench, on_sample, store=store, kind="capacity",
                                   confined=confined, steps=hooks)  # fmt: skip
    return SearchRun(handle, plan)


class SearchRun:
    """The benchmark's handle, whose snapshots also carry the search's verdicts so far."""

    def __init__(self, handle: Any, plan: CapacityPlan):
        self._handle, self._plan = handle, plan
        self.run_id, self.kind, self.location = handle.run_id, handle.kind, handle.location

    def progress(self) -> tuple[int, int]:
        return self._handle.progress()

    def snapshot(self) -> Run | None:
        run = self._handle.snapshot()
        if run is not None and "capacity" not in run.extra:
            self._plan.finalize(run)
        return run

    @property
    def done(self) -> bool:
        return self._handle.done

    async def wait(self) -> Run:
        return await self._handle.wait()

    def cancel(self) -> None:
        self._handle.cancel()


def capacity_result(run: Run, location: str | Path, finished: int, planned: int) -> CapacityResult:
    data = run.extra.get("capacity") or {}
    steps = [CapacityStep(**s) for s in data.get("steps", [])]
    answer = data.get("answer") or "no step finished, so there is no answer"
    spent = sum(len(p.samples) for p in run.providers.values())
    summary = f"{answer} (SLO: {data.get('slo', '?')}; {len(steps)} steps, {spent} requests)"
    if not run.complete:
        summary += f"; stopped early after {finished} requests"
    if not run.valid:
        summary += "; NOT VALID: the client was saturated"
    return CapacityResult(
        run_id=run.run_id, path=str(location), complete=run.complete, valid=run.valid,
        validity_notes=run.validity_notes, slo=data.get("slo", ""),
        search=data.get("search", "rate"), unit=data.get("unit", "req/s"),
        capacity=data.get("capacity"), bracket_low=data.get("bracket_low"),
        bracket_high=data.get("bracket_high"), requests_per_step=data.get("requests_per_step", 0),
        why_requests_per_step=data.get("why_requests_per_step", ""), requests_spent=spent,
        steps=steps, answer=answer, summary=summary,
    )  # fmt: skip


OPTIONS = CapacityOptions
RESULT = "sre_latency.tools.capacity:CapacityResult"
start = start_capacity
finish = capacity_result


def planned_per_target(opts) -> None:
    """Unknown in advance: the search decides how many steps it needs."""
    return None
