"""Steps: several loads measured one after another as one run (sweeps, capacity searches).

A ``StepEngine`` looks like one engine to ``RunSession`` (targets, adapters, ``run``, progress,
``health``), but measures a sequence of steps, each with its own engine: its own connection
pool and its own warm-up, so one step's queue does not leak into the next one's figures.
Every sample is tagged with its step index, and ``steps`` records what each step offered.

What comes next is the ``StepPlan``'s decision: a sweep plays a fixed list
(``FixedSteps``); a capacity search picks each rate from the verdicts so far, and may end a
step early once its verdict is clear (``observe``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sre_latency.core.contract import ClientHealth, LoadStep, Sample
from sre_latency.probe.providers.base import Adapter, Target


@dataclass(frozen=True)
class StepSpec:
    """The load of one step: an open loop at ``rate_per_s`` per target, or a closed loop."""

    rate_per_s: float | None = None
    concurrency: int = 1
    n: int | None = None  # measured requests per target (None: ``duration_s`` decides)
    duration_s: float | None = None
    arrival: str = "poisson"
    label: str = ""  # "8 req/s", "concurrency 16"

    def estimate(self, n_targets: int) -> int | None:
        """Measured requests it plans, when known before it runs."""
        if self.n is not None and self.duration_s is None:
            return self.n * n_targets
        if self.rate_per_s is not None and self.duration_s is not None:
            return round(self.rate_per_s * self.duration_s) * n_targets
        return None


class StepPlan(Protocol):
    def first(self) -> StepSpec | None: ...

    def observe(self, index: int, spec: StepSpec, target: int, sample: Sample) -> bool:
        """See one finished sample; True when the step's outcome is already clear (stop it)."""
        ...

    def after(
        self, index: int, spec: StepSpec, samples: dict[int, list[Sample]]
    ) -> StepSpec | None:
        """The step ``index`` ended with ``samples`` per target; the next step, or None."""
        ...

    def remaining(self, index: int) -> list[StepSpec]:
        """Steps known to follow ``index`` (for progress estimates)."""
        ...


class FixedSteps:
    """A sweep: every step of a list, in order."""

    def __init__(self, specs: Sequence[StepSpec]):
        self.specs = list(specs)

    def first(self) -> StepSpec | None:
        return self.specs[0] if self.specs else None

    def observe(self, index: int, spec: StepSpec, target: int, sample: Sample) -> bool:
        return False

    def after(
        self, index: int, spec: StepSpec, samples: dict[int, list[Sample]]
    ) -> StepSpec | None:
        return self.specs[index + 1] if index + 1 < len(self.specs) else None

    def remaining(self, index: int) -> list[StepSpec]:
        return self.specs[index + 1 :]


EngineFactory = Callable[[StepSpec, int], Any]  # (spec, index) → an engine (ProbeEngine-like)


class StepsHealth:
    """The client's health over every step: the worst of each figure, notes named by step."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, Any, int]] = []  # (step label, its health watch, requests)

    def report(self, requests: int) -> tuple[ClientHealth, list[str]]:
        reports = [(label, *watch.report(n)) for label, watch, n in self.parts]
        if not reports:
            return ClientHealth(), []
        hs = [h for _, h, _ in reports]

        def worst(name: str) -> float | None:
            values = [getattr(h, name) for h in hs if getattr(h, name) is not None]
            return max(values) if values else None

        def total(name: str) -> int | None:
            values = [getattr(h, name) for h in hs if getattr(h, name) is not None]
            return sum(values) if values else None

        cpu = [(h.cpu_ms_per_request, n) for h, (_, _, n) in zip(hs, self.parts, strict=True)]
        cpu_ms = sum(c * n for c, n in cpu if c is not None)
        health = ClientHealth(
            loop_lag_p50_ms=worst("loop_lag_p50_ms"), loop_lag_p99_ms=worst("loop_lag_p99_ms"),
            loop_lag_max_ms=worst("loop_lag_max_ms"),
            schedule_lag_p99_ms=worst("schedule_lag_p99_ms"),
            cpu_ms_per_request=cpu_ms / requests if requests else None,
            late_sends=total("late_sends"), workers=worst("workers"),
        )  # fmt: skip
        notes = [f"step {label}: {note}" for label, _, ns in reports for note in ns]
        return health, notes


class StepEngine:
    """The steps of ``plan`` measured in turn (see the module docstring)."""

    def __init__(self, targets: Sequence[Target], adapters: Sequence[Adapter],
                 make_engine: EngineFactory, step_plan: StepPlan):  # fmt: skip
        self.targets = list(targets)
        self.adapters = list(adapters)
        self.make_engine = make_engine
        self.plan = step_plan
        if hasattr(step_plan, "bind"):  # a plan that judges samples by target label
            step_plan.bind(self.targets)
        self.health = StepsHealth()
        self.steps: list[LoadStep] = []
        self._done_finished = 0
        self._current: Any = None
        self._index = 0
        self._stop = False
        self._method: list[tuple[str, list[str], bool]] = []  # (step, notes, invalid)
        self._seq_base = 0  # seq and round numbers stay unique across steps (pairing by round)
        self._round_base = 0

    @property
    def finished(self) -> int:
        current = self._current.finished if self._current is not None else 0
        return self._done_finished + current

    @property
    def planned(self) -> int:
        planned = self._done_finished
        if self._current is not None:
            planned += self._current.planned
            for spec in self.plan.remaining(self._index):
                planned += spec.estimate(len(self.targets)) or self._current.planned
        return planned

    def method_notes(self) -> tuple[list[str], bool]:
        """Every step's warm-up and connection notes, named by step; invalid when one's is."""
        notes = [f"step {label}: {note}" for label, ns, _ in self._method for note in ns]
        return notes, any(invalid for _, _, invalid in self._method)

    def request_stop(self) -> None:
        self._stop = True
        if self._current is not None:
            self._current.request_stop()

    async def run(self, on_sample: Callable[[int, Sample], None]) -> None:
        spec = self.plan.first()
        index = 0
        while spec is not None and not self._stop:
            samples = await self._step(index, spec, on_sample)
            spec = None if self._stop else self.plan.after(index, spec, samples)
            index += 1

    async def _step(self, index: int, spec: StepSpec, on_sample) -> dict[int, list[Sample]]:
        engine = self.make_engine(spec, index)
        self._current, self._index = engine, index
        step = LoadStep(
            index=index, loop="open" if spec.rate_per_s is not None else "closed",
            rate_per_s=spec.rate_per_s, concurrency=spec.concurrency,
            arrival=spec.arrival if spec.rate_per_s is not None else None,
            planned=engine.planned, started_at=datetime.now(UTC),
        )  # fmt: skip
        self.steps.append(step)
        samples: dict[int, list[Sample]] = {}
        top_round = -1

        def record(target: int, sample: Sample) -> None:
            nonlocal top_round
            top_round = max(top_round, sample.round)
            sample.step = index
            sample.seq += self._seq_base
            sample.round += self._round_base
            samples.setdefault(target, []).append(sample)
            on_sample(target, sample)
            if self.plan.observe(index, spec, target, sample):
                engine.request_stop()

        try:
            await engine.run(record)
        finally:
            step.finished, step.planned = engine.finished, engine.planned
            step.finished_at = datetime.now(UTC)
            self.health.parts.append((spec.label or str(index), engine.health, engine.finished))
            self._method.append((spec.label or str(index), *engine.method_notes()))
            self._done_finished += engine.finished
            self._seq_base += engine.finished
            self._round_base += top_round + 1
            self._current = None
        return samples
