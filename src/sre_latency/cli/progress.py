"""The CLI's progress display, and running a measurement on the event loop with safe interrupts.

The display keeps the whole run's count, rate and ETA on one line that never gives way to
anything else (``count · rate · elapsed · ETA``, then as much bar as fits), under the run's
title, and puts each target's running TTFT p50 on a line of its own, in a stable order (the
order targets first finish in). It draws on stderr only when stderr is a terminal.

Interrupts (``Interrupts``): from before the run starts until the command is done with it, the
process handles SIGINT and SIGTERM itself. The first one stops the measurement, which is then
saved with every finished sample; every later one is ignored, so no interrupt can land in the
middle of saving, and any number of them ends with the run file written (or, when the disk
refuses it, one sentence naming the journal that holds the samples) and exit code 130.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from typing import Any

from sre_latency.tools.runs import ProgressTracker

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    """SIGINT/SIGTERM while a command measures: the first stops it, later ones are ignored."""

    def __init__(self) -> None:
        self.count = 0
        self._stop: tuple[asyncio.AbstractEventLoop, Callable[[], Any]] | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Interrupts:
        for signum in _SIGNALS:
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self._previous.items():
            # after an interrupt the process is about to exit 130: nothing may cut that short
            signal.signal(signum, previous if self.count == 0 else signal.SIG_IGN)

    def stop_with(self, stop: Callable[[], Any]) -> None:
        """What the first interrupt does (from the running loop); at once if one came already."""
        loop = asyncio.get_running_loop()
        self._stop = (loop, stop)
        if self.count:
            loop.call_soon(stop)

    def _handle(self, signum: int, frame: object) -> None:
        self.count += 1
        if self.count == 1 and self._stop is not None:
            loop, stop = self._stop
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(stop)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class RunBar:
    """A live display driven by a ``ProgressTracker`` (see the module docstring)."""

    def __init__(
        self,
        tracker: ProgressTracker,
        enabled: bool,
        console: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.tracker = tracker
        self.enabled = enabled
        self.title = ""
        self.planned = 0
        self._console = console
        self._clock = clock
        self._started: float | None = None
        self._first: float | None = None  # when the first measured request finished

    def headline(self) -> str:
        """``"212/6,000 (4 %) · 83.5 req/s · 0:00:03 elapsed · ETA 0:01:09"``."""
        finished = self.tracker.finished
        planned = self.tracker.planned or self.planned
        now = self._clock()
        elapsed = now - self._started if self._started is not None else 0.0
        # the rate since the first measured request ended: warm-up and set-up are not in it
        since = now - self._first if self._first is not None else 0.0
        rate = (finished - 1) / since if since > 0 and finished > 1 else None
        eta = (planned - finished) / rate if rate and planned >= finished else None
        share = f" ({100 * finished / planned:.0f} %)" if planned else ""
        rate_text = f"{rate:,.1f} req/s" if rate is not None else "- req/s"
        return (
            f"{finished:,}/{planned:,}{share} · {rate_text} · {_clock(elapsed)} elapsed · "
            f"ETA {_clock(eta)}"
        )

    def renderable(self) -> Any:
        """The title, the headline with as much bar as fits, and one line per target."""
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        planned = self.tracker.planned or self.planned
        head = Table.grid(padding=(0, 1))
        head.add_column(no_wrap=True)
        head.add_column(ratio=1)
        head.add_row(
            Text(self.headline()),
            ProgressBar(total=max(planned, 1), completed=self.tracker.finished),
        )
        labels = list(self.tracker.targets)
        width = max((len(label) for label in labels), default=0)
        per_target = self.tracker.per_target_planned
        lines = [
            Text("  " + t.text(per_target).replace(t.label, t.label.ljust(width), 1))
            for t in self.tracker.targets.values()
        ]
        return Group(Text(self.title, no_wrap=True, overflow="ellipsis"), head, *lines)

    def _step(self, finished: int, planned: int, message: str) -> None:
        if self._first is None:
            self._first = self._clock()

    @contextlib.contextmanager
    def running(self, title: str, planned: int):
        self.title, self.planned = title, planned
        self._started = self._clock()
        with contextlib.ExitStack() as stack:
            stack.enter_context(self.tracker.listening(self._step))
            if self.enabled:
                from rich.live import Live

                from sre_latency.cli.common import console

                con = self._console or console(stderr=True)
                live = Live(console=con, transient=True, refresh_per_second=4,
                            get_renderable=self.renderable)  # fmt: skip
                stack.enter_context(live)
            yield


def run_async(coro: Any, interrupts: Interrupts | None = None) -> Any:
    """Run ``coro`` on uvloop; with ``interrupts``, the first SIGINT/SIGTERM cancels it (a
    measuring coroutine moves that to its run with ``interrupts.stop_with``).

    A cancelled coroutine surfaces as KeyboardInterrupt.
    """
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:  # Windows
        factory = None

    async def guarded() -> Any:
        task = asyncio.current_task()
        if interrupts is not None and task is not None:
            interrupts.stop_with(task.cancel)
        return await coro

    with asyncio.Runner(loop_factory=factory) as runner:
        try:
            return runner.run(guarded())
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None
