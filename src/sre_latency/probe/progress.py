"""Progress of a measuring run: one tracker behind both the CLI bar and MCP notifications.

The tracker is the run's ``on_sample`` callback. It counts finished requests per target (in the
order targets first finish, which stays stable), keeps each target's running TTFT median, and
forwards each step to whoever listens (a tool call waiting for the run, a progress bar).
"""

from __future__ import annotations

import contextlib
import heapq
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sre_latency.core.contract import Sample

log = logging.getLogger("sre_latency.progress")

ProgressSink = Callable[[int, int, str], None]  # (finished, planned, message)


class RunningMedian:
    """The median of a growing list of numbers in O(log n) per value (two heaps)."""

    __slots__ = ("_high", "_low")

    def __init__(self) -> None:
        self._low: list[float] = []  # max-heap (negated) of the smaller half
        self._high: list[float] = []  # min-heap of the larger half

    def __len__(self) -> int:
        return len(self._low) + len(self._high)

    def add(self, value: float) -> None:
        if self._low and value > -self._low[0]:
            heapq.heappush(self._high, value)
        else:
            heapq.heappush(self._low, -value)
        if len(self._low) > len(self._high) + 1:
            heapq.heappush(self._high, -heapq.heappop(self._low))
        elif len(self._high) > len(self._low):
            heapq.heappush(self._low, -heapq.heappop(self._high))

    @property
    def value(self) -> float | None:
        if not self._low:
            return None
        if len(self._low) > len(self._high):
            return -self._low[0]
        return (-self._low[0] + self._high[0]) / 2.0


@dataclass
class TargetProgress:
    label: str
    done: int = 0
    errors: int = 0
    ttft: RunningMedian = field(default_factory=RunningMedian)

    def text(self, per_target_planned: int | None) -> str:
        """``"bedrock 12/40, TTFT p50 so far 812 ms (1 error)"``."""
        planned = f"/{per_target_planned}" if per_target_planned else " done"
        text = f"{self.label} {self.done}{planned}"
        median = self.ttft.value
        if median is not None:
            text += f", TTFT p50 so far {median:.0f} ms"
        if self.errors:
            text += f" ({self.errors} error{'s' if self.errors != 1 else ''})"
        return text


class ProgressTracker:
    """Counts finished requests and keeps each target's TTFT p50 so far."""

    def __init__(self, per_target_planned: int | None = None):
        self.per_target_planned = per_target_planned
        self.finished = 0
        self.planned = 0
        self.last_message: str | None = None
        self.targets: dict[str, TargetProgress] = {}
        self._sinks: list[ProgressSink] = []

    def __call__(self, label: str, sample: Sample, finished: int, planned: int) -> None:
        self.finished, self.planned = finished, planned
        target = self.targets.get(label)
        if target is None:
            target = self.targets[label] = TargetProgress(label)
        target.done += 1
        if sample.error is not None:
            target.errors += 1
        elif sample.ttft_ms is not None:
            target.ttft.add(sample.ttft_ms)
        self.last_message = target.text(self.per_target_planned)
        for sink in list(self._sinks):
            try:
                sink(finished, planned, self.last_message)
            except Exception:  # never let reporting break the measurement
                log.exception("progress sink failed")

    def lines(self) -> list[str]:
        """One line per target, in a stable order."""
        return [t.text(self.per_target_planned) for t in self.targets.values()]

    @contextlib.contextmanager
    def listening(self, sink: ProgressSink) -> Iterator[None]:
        """Forward each step to ``sink`` while the block runs."""
        self._sinks.append(sink)
        try:
            yield
        finally:
            self._sinks.remove(sink)
