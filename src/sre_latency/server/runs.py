"""Measuring runs that outlive one tool call.

MCP clients cut tool calls off at very different times (Claude Code's desktop app at about 60 s,
one release at 1 s), so a measuring tool waits at most ``max_seconds`` for its run. What is not
finished by then goes on in the server: the ``RunManager`` keeps the run's handle (a
``probe.handle.RunHandle``), and ``run_status`` or the run's resource report its progress and,
at the end, its summary. The handle journals every finished sample, so cancelling keeps them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from sre_latency.errors import LatencyError

if TYPE_CHECKING:  # loaded inside tool calls: they import the tool modules (numpy)
    from sre_latency.core.contract import Run
    from sre_latency.tools.run_status import RunState, RunStatus
    from sre_latency.tools.runs import ProgressTracker, RunHandle

log = logging.getLogger("sre_latency.mcp")

ProgressReporter = Callable[[float, float, str], Awaitable[None]]  # ctx.report_progress
CANCEL_GRACE_S = 15.0  # how long a cancelled run may take to save its finished samples


@dataclass(eq=False)
class ActiveRun:
    """A run the server is driving: its handle, its progress, and its outcome once finished."""

    handle: RunHandle
    tracker: ProgressTracker
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    run: Run | None = None
    error: str | None = None
    exception: LatencyError | None = None  # an expected failure (e.g. missing credentials)
    cancelled: bool = False
    task: asyncio.Task | None = None

    @property
    def run_id(self) -> str:
        return self.handle.run_id

    @property
    def kind(self) -> str:
        return self.handle.kind

    @property
    def path(self) -> Path | None:
        from sre_latency.tools.runs import locator_of

        return locator_of(self.handle.location) if self.handle.location else None

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


class RunManager:
    """The runs this server started, so they can outlive the call that started them."""

    def __init__(self, keep_finished: int = 100):
        self._runs: dict[str, ActiveRun] = {}
        self._keep_finished = keep_finished

    def adopt(self, handle: RunHandle, tracker: ProgressTracker) -> ActiveRun:
        active = ActiveRun(handle=handle, tracker=tracker)
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
                with (
                    send,
                    active.tracker.listening(lambda *step: send.send_nowait(step)),
                    contextlib.suppress(TimeoutError),
                ):
                    await asyncio.wait_for(active.finished.wait(), timeout=max_seconds)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self.cancel(active)
            raise
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
            active.run = active.handle.snapshot()
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


__all__ = ["ActiveRun", "RunManager"]
