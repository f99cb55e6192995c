"""The handle every measuring tool returns: one protocol, one implementation of waiting.

A run lives in an asyncio task that journals every finished sample and saves the run file at
the end, also when it is cancelled. ``wait()`` returns the saved run, partial when the run was
cancelled; if the *waiter* is cancelled, the run is cancelled too, saved, and the waiter's
cancellation goes on. The MCP server keeps handles of runs that outlive a tool call; the CLI
waits on them with a progress bar.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from sre_latency.core.contract import Run


class RunHandle(Protocol):
    run_id: str
    kind: str
    location: str  # where the run file is (or will be) saved

    def progress(self) -> tuple[int, int]:
        """(finished, planned) measured requests."""
        ...

    def snapshot(self) -> Run | None:
        """The run so far, summarised (None before anything is known)."""
        ...

    @property
    def done(self) -> bool: ...

    async def wait(self) -> Run: ...

    def cancel(self) -> None:
        """Stop at once: in-flight requests are dropped, finished samples are saved."""
        ...


class TaskRun:
    """A ``RunHandle`` over the task that measures and saves the run."""

    def __init__(
        self,
        run_id: str,
        kind: str,
        location: str,
        task: asyncio.Task[Run],
        snapshot: Callable[[], Run | None],
        progress: Callable[[], tuple[int, int]],
    ):
        self.run_id = run_id
        self.kind = kind
        self.location = location
        self._task = task
        self._snapshot = snapshot
        self._progress = progress

    def progress(self) -> tuple[int, int]:
        return self._progress()

    def snapshot(self) -> Run | None:
        return self._snapshot()

    @property
    def done(self) -> bool:
        return self._task.done()

    async def wait(self) -> Run:
        try:
            return await asyncio.shield(self._task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._task.done() and (current is None or not current.cancelling()):
                saved = self._snapshot()  # the run itself was cancelled and saved
                if saved is not None:
                    return saved
            if not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task})
            raise

    def cancel(self) -> None:
        self._task.cancel()
