"""The CLI's progress bar, and running a measurement on the event loop with safe interrupts.

The bar shows the count, the rate and the ETA of the whole run on its first line, always
visible, and one line per target (in the order targets first finish) with its TTFT p50 so far,
all from the run's ``ProgressTracker``. It draws on stderr only when stderr is a terminal.

Interrupts: the first Ctrl-C (or SIGTERM) cancels the run, which is then saved with every
finished sample; further interrupts while it saves are ignored, so any number of them still
ends with the run file written.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

from sre_latency.tools.runs import ProgressTracker


class RunBar:
    """A rich progress display driven by a ``ProgressTracker``."""

    def __init__(self, tracker: ProgressTracker, enabled: bool):
        self.tracker = tracker
        self.enabled = enabled
        self._progress: Any = None
        self._total: Any = None
        self._rows: dict[str, Any] = {}

    @contextlib.contextmanager
    def running(self, title: str, planned: int):
        if not self.enabled:
            yield
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from sre_latency.cli.common import console

        self._progress = Progress(
            MofNCompleteColumn(),
            BarColumn(bar_width=20),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.description}"),
            console=console(stderr=True),
            transient=True,
        )
        self._total = self._progress.add_task(title, total=planned, rate="")
        with self._progress, self.tracker.listening(self._step):
            yield

    def _step(self, finished: int, planned: int, message: str) -> None:
        progress = self._progress
        task = progress.tasks[self._total]
        elapsed = task.elapsed or 0.0
        rate = f"{finished / elapsed:.1f} req/s" if elapsed > 0 else ""
        progress.update(self._total, completed=finished, total=planned, rate=rate)
        per_target = self.tracker.per_target_planned
        for label, t in self.tracker.targets.items():
            if label not in self._rows:
                self._rows[label] = progress.add_task(label, total=per_target, rate="")
            progress.update(self._rows[label], completed=t.done, description=t.text(per_target))


def run_async(coro: Any) -> Any:
    """Run ``coro`` on uvloop; the first SIGINT/SIGTERM cancels it, later ones are ignored.

    A cancelled run surfaces as KeyboardInterrupt once it has been saved.
    """
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:  # Windows
        factory = None

    async def guarded() -> Any:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        interrupted = False

        def interrupt() -> None:
            nonlocal interrupted
            if not interrupted and task is not None:
                interrupted = True
                task.cancel()

        # Not on Windows nor off the main thread; Ctrl-C works there all the same.
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, interrupt)
        return await coro

    with asyncio.Runner(loop_factory=factory) as runner:
        try:
            return runner.run(guarded())
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None
