"""One measured run from start to saved file: the Run, its journal, the engine, the final write.

Used by every tool that measures (``benchmark``, ``latency_check``). The order matters for the
promise "never lose a finished sample": the journal (with its header) exists before the first
request; each sample is journalled the moment it finishes; the run file is written atomically
at the end — also when the run is cancelled or fails — and only then is the journal removed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sre_latency.core.contract import ProviderResult, Run, RunConfig, RunKind, Sample
from sre_latency.core.redact import public_url
from sre_latency.errors import ConfigError, StoreError
from sre_latency.probe.engine import ProbeEngine
from sre_latency.store import Journal, RunStore, environment, journal_path, new_run_id

OnSample = Callable[[str, Sample, int, int], None]  # label, sample, finished, planned


class RunSession:
    """A Run being measured by ``engine`` and recorded at ``path``."""

    def __init__(
        self,
        run: Run,
        path: Path,
        journal: Journal,
        engine: ProbeEngine,
        on_sample: OnSample | None,
    ):
        self.run = run
        self.path = path
        self.journal = journal
        self.engine = engine
        self._labels = [t.label for t in engine.targets]
        self._on_sample = on_sample

    @classmethod
    def create(
        cls,
        kind: RunKind,
        config: RunConfig,
        engine: ProbeEngine,
        output: Path | None = None,
        on_sample: OnSample | None = None,
    ) -> RunSession:
        created = datetime.now(UTC)
        run = Run(
            run_id=new_run_id(kind, created),
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
        path = Path(output).expanduser() if output else RunStore().path_for(run.run_id)
        if path.is_dir():
            raise ConfigError(
                f"--output {path} is a directory; name a file such as {path}/run.json."
            )
        try:
            journal = Journal(journal_path(path), run)
        except OSError as exc:  # mkdir says "File exists" when a parent is a regular file
            why = (
                "a parent is not a directory" if isinstance(exc, FileExistsError) else exc.strerror
            )
            raise ConfigError(f"cannot write the run file {path}: {why or exc}.") from None
        return cls(run, path, journal, engine, on_sample)

    def _record(self, target: int, sample: Sample) -> None:
        label = self._labels[target]
        self.run.providers[label].samples.append(sample)
        self.journal.append(label, sample)
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

    def snapshot(self) -> Run:
        """A summarised copy of the run so far."""
        run = self.run.model_copy(deep=True)
        _summarize(run)
        return run

    def finalize(self, outcome: str) -> None:
        from sre_latency.core.paired import compare_targets

        run, engine = self.run, self.engine
        _summarize(run)
        health, notes = engine.health.report(engine.finished)
        run.client_health = health
        if notes:
            run.valid = False
            run.validity_notes.extend(notes)
        run.complete = outcome == "done" and engine.finished == engine.planned
        if not run.complete:
            why = {"cancelled": "cancelled", "error": "stopped by an error"}.get(outcome, "stopped")
            run.validity_notes.append(
                f"{why} after {engine.finished} of {engine.planned} requests; "
                "every finished sample is kept"
            )
        if len(run.providers) > 1:
            run.comparisons = compare_targets(run, seed=run.config.seed or 0)
        run.finished_at = datetime.now(UTC)
        self.journal.close()
        try:
            RunStore().save(run, self.path)
        except OSError as exc:
            raise StoreError(
                f"could not write the run file {self.path} ({exc.strerror or exc}); every "
                f"finished sample is kept in {self.journal.path}."
            ) from None
        with contextlib.suppress(OSError):
            self.journal.path.unlink()


def _summarize(run: Run) -> None:
    from sre_latency.core.stats import summarize

    for result in run.providers.values():
        result.summary = summarize(result.samples)
