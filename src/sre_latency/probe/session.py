"""One measured run from start to saved file: the Run, its writer, the engine, the final save.

The order matters for the promise "never lose a finished sample": the writer (with its journal
header) exists before the first request; each sample is journalled the moment it finishes; the
run file is written atomically at the end, also when the run is cancelled or fails, and only
then is the journal removed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sre_latency.core.contract import (
    ProviderResult,
    Run,
    RunConfig,
    RunKind,
    Sample,
    TimeSeries,
)
from sre_latency.core.redact import public_url
from sre_latency.probe.engine import ProbeEngine
from sre_latency.probe.handle import TaskRun
from sre_latency.store import RunStore, RunWriter, environment, new_run_id

OnSample = Callable[[str, Sample, int, int], None]  # label, sample, finished, planned


def new_run(
    kind: RunKind, config: RunConfig, engine: ProbeEngine, run_id: str | None = None
) -> Run:
    created = datetime.now(UTC)
    return Run(
        run_id=run_id or new_run_id(kind, created),
        kind=kind,
        created_at=created,
        config=config,
        environment=environment(),
        providers={
            t.label: ProviderResult(
                provider=t.provider,
                model=t.model,
                endpoint=public_url(t.base_url or str(getattr(adapter, "endpoint", ""))),
                options=dict(t.options),
            )
            for t, adapter in zip(engine.targets, engine.adapters, strict=True)
        },
    )


class RunSession:
    """A Run being measured by ``engine`` and recorded by ``writer``."""

    def __init__(
        self, run: Run, writer: RunWriter, engine: ProbeEngine, on_sample: OnSample | None
    ):
        self.run = run
        self.writer = writer
        self.engine = engine
        self._labels = [t.label for t in engine.targets]
        self._on_sample = on_sample
        self.finalizers: list[Callable[[Run], None]] = []  # e.g. watched processes' series

    @property
    def path(self) -> Path:
        return Path(self.writer.location)

    @classmethod
    def create(
        cls,
        kind: RunKind,
        config: RunConfig,
        engine: ProbeEngine,
        store: RunStore,
        *,
        output: Path | None = None,
        confined: bool = False,
        on_sample: OnSample | None = None,
    ) -> RunSession:
        run = new_run(kind, config, engine)
        return cls(run, store.writer(run, output, confined=confined), engine, on_sample)

    def _record(self, target: int, sample: Sample) -> None:
        label = self._labels[target]
        self.run.providers[label].samples.append(sample)
        self.writer.append(label, sample)
        if self._on_sample is not None:
            self._on_sample(label, sample, self.engine.finished, self.engine.planned)

    async def execute(self, on_exit: Callable[[], None] | None = None) -> Run:
        """Measure, then save. Cancelled or failed runs are saved with ``complete: false``."""
        outcome = "error"
        try:
            await self.engine.run(self._record)
            outcome = "done"
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            try:
                self.finalize(outcome)
            finally:
                if on_exit is not None:
                    on_exit()
        return self.run

    def start(self, on_exit: Callable[[], None] | None = None) -> TaskRun:
        """Measure in a task of its own; the handle follows and stops it."""
        task = asyncio.get_running_loop().create_task(self.execute(on_exit))
        return TaskRun(
            self.run.run_id, self.run.kind, self.writer.location, task, self.snapshot,
            lambda: (self.engine.finished, self.engine.planned),
        )  # fmt: skip

    def snapshot(self) -> Run:
        """A summarised copy of the run so far."""
        run = self.run.model_copy(deep=True)
        summarize_run(run)
        return run

    def finalize(self, outcome: str) -> None:
        from sre_latency.core.paired import compare_targets

        run, engine = self.run, self.engine
        summarize_run(run)
        health, notes = engine.health.report(engine.finished)
        run.client_health = health
        if notes:
            run.valid = False
            run.validity_notes.extend(notes)
        method, invalid = engine.method_notes()  # warm-up failures, connections opened
        run.validity_notes.extend(method)
        run.valid = run.valid and not invalid
        run.complete = outcome == "done" and engine.finished == engine.planned
        if not run.complete:
            why = {"cancelled": "cancelled", "error": "stopped by an error"}.get(outcome, "stopped")
            run.validity_notes.append(
                f"{why} after {engine.finished} of {engine.planned} requests; "
                "every finished sample is kept"
            )
        if len(run.providers) > 1:
            run.comparisons = compare_targets(run, seed=run.config.seed or 0)
        run.timeseries = run_timeseries(run)
        for finalize in self.finalizers:
            finalize(run)
        run.finished_at = datetime.now(UTC)
        self.writer.finish(run)


def run_timeseries(run: Run) -> TimeSeries:
    """The per-second windows of every target (docs/contract.md#time-series)."""
    from sre_latency.core.timeseries import target_windows

    window_s, windows = target_windows(
        {label: p.samples for label, p in run.providers.items()}, run.created_at
    )
    return TimeSeries(origin=run.created_at, window_s=window_s, targets=windows)


def summarize_run(run: Run) -> None:
    from sre_latency.core.stats import summarize

    for result in run.providers.values():
        result.summary = summarize(result.samples)
