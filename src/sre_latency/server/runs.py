"""Measuring runs that outlive one tool call, and the progress they report.

MCP clients cut tool calls off at very different times (Claude Code's desktop app at about 60 s,
one release at 1 s), so a measuring tool waits at most ``max_seconds`` for its run. What is not
finished by then goes on in the server's background: the ``RunManager`` keeps the run's handle,
and ``run_status`` or the run's resource report its progress and, at the end, its summary.

A run is driven by a *handle* (``tools.benchmark.RunHandle``): ``run_id``, ``path``,
``snapshot() -> Run``, ``progress() -> (finished, planned)``, ``done``, ``async wait() -> Run``,
``cancel()``. The engine journals every finished sample, so cancelling keeps them all.
Plain asyncio and anyio: nothing here knows about MCP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from sre_latency.errors import LatencyError

if TYPE_CHECKING:  # loaded inside tool calls: they import the tool modules (numpy)
    from sre_latency.core.contract import Run, Sample
    from sre_latency.tools.run_status import RunState, RunStatus

log = logging.getLogger("sre_latency.mcp")

ProgressSink = Callable[[int, int, str], None]  # (finished, planned, message)
ProgressReporter = Callable[[float, float, str], Awaitable[None]]  # ctx.report_progress
CANCEL_GRACE_S = 15.0  # how long a cancelled run may take to save its finished samples


class ProgressTracker:
    """Counts finished requests per target and keeps TTFTs for a "p50 so far" message.

    Passed as ``on_sample`` to the run; forwards each step to whoever is listening (the tool
    call that waits for the run), and to nobody once that call has returned.
    """

    def __init__(self, per_target_planned: int | None = None):
        self.per_target_planned = per_target_planned
        self.finished = 0
        self.planned = 0
        self.last_message: str | None = None
        self._done: dict[str, int] = {}
        self._errors: dict[str, int] = {}
        self._ttft_ms: dict[str, list[float]] = {}
        self._sink: ProgressSink | None = None

    def __call__(self, label: str, sample: Sample, finished: int, planned: int) -> None:
        self.finished, self.planned = finished, planned
        self._done[label] = self._done.get(label, 0) + 1
        if sample.error is not None:
            self._errors[label] = self._errors.get(label, 0) + 1
        elif sample.ttft_ms is not None:
            self._ttft_ms.setdefault(label, []).append(sample.ttft_ms)
        self.last_message = self.message(label)
        if self._sink is not None:
            try:
                self._sink(finished, planned, self.last_message)
            except Exception:  # never let reporting break the measurement
                log.exception("progress sink failed")

    def message(self, label: str) -> str:
        """``"bedrock 12/40, TTFT p50 so far 812 ms"`` (errors counted when there are any)."""
        done = self._done.get(label, 0)
        planned = f"/{self.per_target_planned}" if self.per_target_planned else " done"
        text = f"{label} {done}{planned}"
        errors = self._errors.get(label, 0)
        if errors:
            text += f" ({errors} error{'s' if errors != 1 else ''})"
        ttfts = self._ttft_ms.get(label)
        if ttfts:
            text += f", TTFT p50 so far {statistics.median(ttfts):.0f} ms"
        return text

    @contextlib.contextmanager
    def listening(self, sink: ProgressSink):
        """Send progress to ``sink`` for the duration of the block (one tool call)."""
        self._sink = sink
        try:
            yield
        finally:
            self._sink = None


@dataclass(eq=False)
class ActiveRun:
    """A run the server is driving: its handle, its progress, and its outcome once finished."""

    kind: str
    handle: Any
    tracker: ProgressTracker
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    run: Run | None = None
    error: str | None = None
    exception: LatencyError | None = None  # an expected failure (e.g. missing credentials)
    cancelled: bool = False
    background: bool = False
    task: asyncio.Task | None = None

    @property
    def run_id(self) -> str:
        return self.handle.run_id

    @property
    def path(self) -> Path | None:
        return Path(self.handle.path) if self.handle.path is not None else None

    def counts(self) -> tuple[int, int]:
        finished, planned = self.handle.progress()
        return int(finished), int(planned)

    def state(self) -> RunState:
        if not self.finished.is_set():
            return "running"
        if self.error is not None:
            return "failed"
        if self.cancelled:
            return "cancelled"
        return "done" if self.run is not None and self.run.complete else "incomplete"

    def status(self) -> RunStatus:
        """What this run looks like now: progress while running, the final figures once done."""
        from sre_latency.tools.run_status import status_of_run

        finished, planned = self.counts()
        run = self.run if self.run is not None else self.handle.snapshot()
        return status_of_run(
            self.run_id, self.kind, run, self.path, self.state(), finished, planned,
            self.tracker.last_message, self.error,
        )  # fmt: skip


class BudgetRunHandle:
    """The handle protocol over ``measure_budget_run`` (warm then cold phase, one merged run).

    The merged run is named here, before it starts, so the id the caller gets is the id of the
    file saved at the end (or at a cancel); until then progress shows without figures.
    """

    def __init__(self, opts: Any, tracker: ProgressTracker):
        from sre_latency.store import RunStore, new_run_id

        self.run_id = new_run_id("latency_budget")
        output = getattr(opts, "output", None)
        self.path: Path | None = (
            Path(output).expanduser() if output else RunStore().path_for(self.run_id)
        )
        self._tracker = tracker
        self._run: Run | None = None
        self._task = asyncio.get_running_loop().create_task(self._measure(opts))

    async def _measure(self, opts: Any) -> Run:
        from sre_latency.tools.latency_budget import measure_budget_run

        self._run, self.path = await measure_budget_run(opts, self._tracker, self.run_id)
        return self._run

    def progress(self) -> tuple[int, int]:
        return self._tracker.finished, self._tracker.planned

    def snapshot(self) -> Run | None:
        return self._run

    @property
    def done(self) -> bool:
        return self._task.done()

    async def wait(self) -> Run:
        try:
            return await asyncio.shield(self._task)
        except asyncio.CancelledError:
            if not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task})
            raise

    def cancel(self) -> None:
        self._task.cancel()


class RunManager:
    """The runs this server started, so they can outlive the call that started them."""

    def __init__(self, keep_finished: int = 100):
        self._runs: dict[str, ActiveRun] = {}
        self._keep_finished = keep_finished

    def adopt(self, kind: str, handle: Any, tracker: ProgressTracker) -> ActiveRun:
        active = ActiveRun(kind=kind, handle=handle, tracker=tracker)
        # A task of its own, outside any tool call's cancel scope: it survives the call.
        active.task = asyncio.get_running_loop().create_task(
            self._watch(active), name=f"sre-latency run {handle.run_id}"
        )
        self._runs[handle.run_id] = active
        self._forget_old()
        return active

    def refuse_if_busy(self) -> None:
        """One measurement at a time: two runs in one process would skew each other's figures."""
        running = self.running()
        if running:
            finished, planned = running[0].counts()
            raise LatencyError(
                f"run {running[0].run_id} is still measuring in the background ({finished}/{planned} "
                "requests); two runs at once would skew each other's figures, so follow it with "
                "run_status and start this one when it is done."
            )

    def get(self, run_id: str) -> ActiveRun | None:
        return self._runs.get(run_id)

    def all(self) -> list[ActiveRun]:
        return list(self._runs.values())

    def running(self) -> list[ActiveRun]:
        return [a for a in self._runs.values() if not a.finished.is_set()]

    async def wait(self, active: ActiveRun, max_seconds: float) -> bool:
        """Wait up to ``max_seconds`` for the run; True when it has finished."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(active.finished.wait(), timeout=max_seconds)
        return active.finished.is_set()

    async def follow(
        self, active: ActiveRun, report: ProgressReporter, max_seconds: float
    ) -> RunStatus:
        """Relay the run's progress through ``report`` for up to ``max_seconds``, then answer.

        A run that has not finished by then goes on in the background. If the caller is
        cancelled, the run is cancelled too and saved with every finished sample.
        """
        send, receive = anyio.create_memory_object_stream[tuple[int, int, str]](math.inf)

        async def forward() -> None:
            async with receive:
                async for finished, planned, message in receive:
                    try:
                        await report(finished, planned, message)
                    except Exception:  # progress is a courtesy; the run matters more
                        log.warning("could not send progress for run %s", active.run_id)

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(forward)
                with send, active.tracker.listening(lambda *step: send.send_nowait(step)):
                    await self.wait(active, max_seconds)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self.cancel(active)
            raise
        active.background = not active.finished.is_set()
        if active.exception is not None and active.counts()[0] == 0:
            raise active.exception  # failed before measuring anything: say why, plainly
        return active.status()

    async def cancel(self, active: ActiveRun, grace_s: float = CANCEL_GRACE_S) -> None:
        """Stop the run and wait (bounded) until its finished samples are saved."""
        if active.finished.is_set():
            return
        active.cancelled = True
        active.handle.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(active.finished.wait(), timeout=grace_s)

    async def shutdown(self) -> None:
        """Server exit: cancel what still runs, so each run is saved with what it finished."""
        await asyncio.gather(*(self.cancel(a) for a in self.running()), return_exceptions=True)

    async def _watch(self, active: ActiveRun) -> None:
        try:
            active.run = await active.handle.wait()
        except asyncio.CancelledError:
            active.cancelled = True
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # the server is going away; the handle saved the run before this
            active.run = active.handle.snapshot()  # the run was cancelled and saved
        except LatencyError as exc:
            active.error, active.exception = str(exc), exc
        except Exception:
            log.exception("run %s failed unexpectedly", active.run_id)
            active.error = (
                "an unexpected error stopped it; the server's stderr log has the details."
            )
        finally:
            active.finished.set()

    def _forget_old(self) -> None:
        done = [rid for rid, a in self._runs.items() if a.finished.is_set()]
        for rid in done[: max(0, len(done) - self._keep_finished)]:
            del self._runs[rid]


def run_status(manager: RunManager, store: Any, ref: str | None) -> RunStatus:
    """Status of the run ``ref`` names (None: the newest), live when this server is running it."""
    from sre_latency.store import load_run_file
    from sre_latency.store.resolve import resolve_run
    from sre_latency.tools.run_status import saved_status

    if ref:
        active = manager.get(ref) or manager.get(Path(ref).stem)
        if active is not None:
            return active.status()
    else:
        running = manager.running()
        if running:
            return max(running, key=lambda a: a.started_at).status()
    path = resolve_run(store, ref)
    for active in manager.all():
        if active.path == path or active.path.with_suffix(".jsonl") == path:
            return active.status()
    return saved_status(load_run_file(path), path)


def runs_listing(manager: RunManager, store: Any, limit: int = 30) -> str:
    """The recent runs under the results root, newest first, one line each."""
    from sre_latency.store import load_run_file
    from sre_latency.tools.run_status import run_line

    lines = []
    live = {a.run_id for a in manager.running()}
    for active in sorted(manager.running(), key=lambda a: a.started_at, reverse=True):
        finished, planned = active.counts()
        lines.append(f"{active.run_id}  {active.kind}  running  {finished}/{planned} requests")
    for path in store.list_paths()[:limit]:
        if path.stem in live:
            continue
        try:
            lines.append(run_line(load_run_file(path), path))
        except LatencyError as exc:
            lines.append(f"{path.name}  unreadable: {exc}")
    if not lines:
        return (
            f"No runs under {store.runs_dir} yet. Measure one with the benchmark tool "
            "(emulate=true needs no API key)."
        )
    return "\n".join(lines[:limit])


def saved_budget(store: Any, ref: str | None) -> RunStatus:
    """The latency budget of a saved run (any measuring run; cold samples split apart)."""
    from sre_latency.analysis.budget import latency_budget_from_run
    from sre_latency.store import load_run_file
    from sre_latency.store.resolve import resolve_run
    from sre_latency.tools.run_status import saved_status

    path = resolve_run(store, ref)
    run = load_run_file(path)
    status = saved_status(run, path)
    status.budget = latency_budget_from_run(run)
    status.summary = f"Run {run.run_id}: {status.budget.summary}"
    return status
