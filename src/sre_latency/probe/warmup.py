"""Before the clock: a warm pool that works whatever the origin answers, and spread starts.

**Warm-up.** The discarded warm-up requests are real requests (the same prepared, signed
request a measured one is), sent so that ``concurrency`` of them are in flight at once per
origin: each opens its own connection, and the pool keeps ``concurrency`` idle connections per
origin for the measured phase. (An unauthenticated ``GET /`` per connection did not: a server
that answers it with an error and closes leaves no connection behind, and it leaves 404s in
gateway logs.) So a warm run sends at least ``concurrency`` discarded requests per origin, more
when ``--warmup`` rounds ask for more. Every one is bounded by the run's deadlines (connect,
first token, total): a stalled upstream cannot hang the run. What failed is reported
(``WarmupReport.notes``) in the run's ``validity_notes``.

**Spread starts.** Workers' first measured requests are spread over one request's duration
(``StartSpread``): the median warm-up request's, or, with ``--warmup 0``, worker 0's first
measured request. Without it, ``concurrency`` streams start together and every token of every
stream arrives in the same instant, which the client then stamps late.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sre_latency.core.contract import SampleError
from sre_latency.probe.plan import Planned
from sre_latency.probe.transport import Exchange

MAX_SPREAD_NS = 10_000_000_000  # workers' start offsets span at most 10 s
Send = Callable[[Planned], Awaitable[tuple[Exchange, SampleError | None]]]


@dataclass
class WarmupReport:
    """What the warm-up sent and what came of it."""

    sent: int = 0
    failed: Counter[str] = field(default_factory=Counter)  # error class → requests
    first_failure: str = ""
    durations_ns: list[int] = field(default_factory=list)  # successful requests, start → end

    def record(self, x: Exchange, error: SampleError | None) -> None:
        self.sent += 1
        if error is None:
            self.durations_ns.append(max(0, x.t_end - x.t_start))
        else:
            self.failed[error.class_] += 1
            self.first_failure = self.first_failure or f"{error.class_}: {error.message}"

    @property
    def spread_ns(self) -> int | None:
        """The median successful warm-up request's duration (capped), or None without one."""
        if not self.durations_ns:
            return None
        ordered = sorted(self.durations_ns)
        return min(ordered[len(ordered) // 2], MAX_SPREAD_NS)

    def notes(self) -> list[str]:
        if not self.failed:
            return []
        n_failed = sum(self.failed.values())
        classes = ", ".join(f"{k} {v}" for k, v in sorted(self.failed.items()))
        return [
            f"warm-up: {n_failed} of {self.sent} discarded requests failed ({classes}; first: "
            f"{self.first_failure}); connections they should have opened may open inside "
            "measured requests"
        ]


def warmup_lanes(
    warmup_plan: Sequence[Planned], origins: Sequence[str], concurrency: int, cold: bool
) -> list[list[Planned]]:
    """The warm-up as lanes that run side by side, each sending its requests in turn.

    Warm runs: per origin, ``concurrency`` lanes over that origin's planned warm-up requests,
    padded (round-robin over its targets) until every lane has one, so each lane's first
    request opens a connection of its own. Cold runs keep no connection: the planned requests
    on ``concurrency`` lanes. ``origins[i]`` is target ``i``'s scheme://host:port.
    """
    if not warmup_plan:
        return []
    lanes_per_group = max(1, concurrency)
    if cold:
        groups = [list(warmup_plan)]
    else:
        groups = []
        for origin in dict.fromkeys(origins):
            targets = [i for i, o in enumerate(origins) if o == origin]
            items = [p for p in warmup_plan if origins[p.target] == origin]
            extra = max(0, lanes_per_group - len(items))
            items += [Planned(targets[k % len(targets)], -1, True) for k in range(extra)]
            groups.append(items)
    lanes: list[list[Planned]] = []
    for items in groups:
        width = min(lanes_per_group, len(items))
        lanes += [items[k::width] for k in range(width)]
    return lanes


async def warm_up(
    lanes: list[list[Planned]], send: Send, report: WarmupReport | None = None
) -> WarmupReport:
    """Run every lane at once (so their first requests overlap) and report the outcome (added
    to ``report`` when given: a run may warm up in two waves)."""
    report = report if report is not None else WarmupReport()

    async def lane(items: list[Planned]) -> None:
        for item in items:
            x, error = await send(item)
            report.record(x, error)

    if lanes:
        async with asyncio.TaskGroup() as tg:
            for items in lanes:
                tg.create_task(lane(items))
    return report


class StartSpread:
    """Worker ``k`` of ``workers`` starts ``k / workers`` of one request's duration late.

    The duration is known before the clock (``span_ns``, from the warm-up), or worker 0 sends
    alone first and its request's duration is used (``first_done``).
    """

    def __init__(self, workers: int, span_ns: int | None):
        self._workers = max(1, workers)
        self._span_ns = span_ns or 0
        self._known = asyncio.Event()
        if span_ns is not None:
            self._known.set()

    async def wait_turn(self, k: int) -> None:
        if k == 0:
            return
        await self._known.wait()
        await asyncio.sleep(k * self._span_ns / self._workers / 1e9)

    def first_done(self, x: Exchange | None) -> None:
        """Worker 0's first request ended (None: it sent nothing); the others may start."""
        if not self._known.is_set():
            if x is not None and x.t_start:
                self._span_ns = min(max(0, x.t_end - x.t_start), MAX_SPREAD_NS)
            self._known.set()
