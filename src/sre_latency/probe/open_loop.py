"""Scheduled sending for the probe engine: open-loop request rates and time-bound runs.

``ProbeEngine`` hands its run to ``Scheduled.drive`` when its arrivals plan send times (a request
rate) or when it has a duration. The method, in order:

1. warm-up: the engine's warm-up plan over ``concurrency`` workers, discarded. An open loop then
   opens the idle connections its expected in-flight needs (rate × warm-up request time, with
   room for bursts) with a second wave of real, discarded requests that many at once
   (``probe/warmup.py``: never a ``GET /``), so measured requests rarely open one inside their
   own timing;
2. open loop: the send offsets were planned before the clock starts. One dispatcher sleeps until
   each offset, then passes the gate (the ``concurrency`` cap, when one is set: sleep-then-gate)
   and starts the request in a task of its own. A request that cannot leave within
   ``LATE_SEND_MS`` of its planned time (the client was busy, or the cap stayed full) is not
   sent at all: there is no catch-up burst of overdue requests, and the requests that do leave
   keep the planned law (a thinned Poisson process is still Poisson). Each one left out counts
   in ``late_sends``, the run's ``schedule_lag``. With a duration, the plan holds the arrivals
   that fall inside it. Every sample records its planned and its actual send time
   (``intended_send_s``, ``send_s``: seconds after the measured phase began);
3. closed loop with a duration: ``concurrency`` workers send back to back from an endless plan
   (rounds of every target, freshly shuffled) until the duration ends; starts are spread over
   one warm-up request's time, so the workers do not run in lock-step.

The client-saturation check (``health.schedule``) sees only the client's share of a late send,
from the moment the request was due *and* a slot was free to the moment it left, never the time
spent waiting for the cap: that is offered load the cap refused, not a busy client.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from statistics import median
from time import perf_counter_ns
from typing import TYPE_CHECKING

from sre_latency.core.contract import Sample
from sre_latency.errors import LatencyError
from sre_latency.probe.plan import Planned, plan

if TYPE_CHECKING:
    from sre_latency.probe.engine import OnSample, ProbeEngine
    from sre_latency.probe.transport import Transport

LATE_SEND_MS = 10.0  # the saturation check's own bound on schedule lag
START_LEAD_NS = 2_000_000  # the first send leaves 2 ms after the clock starts
MAX_SPREAD_NS = 10_000_000_000
MAX_PRECONNECT = 2048


async def sleep_until(target_ns: int) -> None:
    """Sleep until ``perf_counter_ns() >= target_ns``; a timer that fires early is re-armed
    (the last fraction of a millisecond yields to the loop instead of sleeping)."""
    while (remaining := target_ns - perf_counter_ns()) > 0:
        await asyncio.sleep(remaining / 1e9 if remaining > 1_000_000 else 0)


def endless_rounds(n_targets: int, seed: int | None, first_round: int = 0) -> Iterator[Planned]:
    """Rounds of every target, each freshly shuffled (seeded), without end."""
    rng = random.Random(f"endless:{seed}")
    order = list(range(n_targets))
    r = first_round
    while True:
        rng.shuffle(order)
        for t in order:
            yield Planned(t, r, False)
        r += 1


class Scheduled:
    """The timed part of one engine's run (see the module docstring)."""

    def __init__(self, engine: ProbeEngine, duration_s: float | None, seed: int | None):
        self.engine = engine
        self.duration_s = duration_s
        self.seed = seed
        n_targets = len(engine.targets)
        probe = engine.arrivals.offsets_ns(0)
        self.open = probe is not None
        self.offsets: list[int] = []
        self.late_sends = 0
        self.origin_ns = 0
        self.request_ns: int | None = None  # a warm-up request's typical duration
        self._done = False
        self._t_measure = 0
        self.before_measure: Callable[[], Awaitable[None]] | None = None  # e.g. a workers' barrier
        if self.open:
            count = len(engine.measured_plan)
            if duration_s is not None:
                count = engine.arrivals.count_within(duration_s)  # type: ignore[attr-defined]
                rounds = -(-count // max(1, n_targets))
                engine.measured_plan = plan(n_targets, rounds, 0, seed)[1][:count]
            self.offsets = engine.arrivals.offsets_ns(count) or []

    # -- progress -------------------------------------------------------------------------
    @property
    def planned(self) -> int:
        """Measured requests planned (a closed loop with a duration: an estimate until done)."""
        e = self.engine
        if self.open:
            return len(e.measured_plan) - (self.late_sends if self._done else 0)
        if self._done or not self._t_measure or not self.duration_s:
            return e.finished
        elapsed_s = (perf_counter_ns() - self._t_measure) / 1e9
        if elapsed_s < 1.0:
            return max(e.finished, e.concurrency)
        return max(e.finished, math.ceil(e.finished * self.duration_s / elapsed_s))

    # -- the run --------------------------------------------------------------------------
    async def drive(self, transport: Transport, on_sample: OnSample) -> None:
        try:
            await self._warm_up(transport)
            if self.before_measure is not None:
                await self.before_measure()
            if self.open:
                await self._open(transport, on_sample)
            elif self.duration_s is not None:
                await self._closed(transport, on_sample)
        except BaseExceptionGroup as group:  # a worker's LatencyError reaches the caller as itself
            first = next((e for e in group.exceptions if isinstance(e, LatencyError)), None)
            if first is None:
                raise
            raise first from None
        finally:
            self._done = True
            if self.open:
                self.engine.health.late_sends = self.late_sends

    async def _warm_up(self, transport: Transport) -> None:
        e = self.engine
        # a closed loop keeps ``concurrency`` connections busy; an open loop sizes them below
        first = e.concurrency if not self.open else min(e.concurrency, max(1, len(e.warmup_plan)))
        report = await e.warm_up(transport, first)
        took = report.durations_ns
        self.request_ns = int(median(took)) if took else None
        if self.open and self.request_ns and not e.cold:
            rate = (
                len(self.offsets) / max(1e-9, self.offsets[-1] / 1e9)
                if len(self.offsets) > 1
                else 0
            )
            expected = rate * self.request_ns / 1e9
            need = min(MAX_PRECONNECT, math.ceil(expected * 1.5 + 3 * math.sqrt(expected) + 2))
            if e.concurrency > 1:
                need = min(need, e.concurrency)
            if need > 1:  # a second wave, ``need`` real requests at once per origin
                await e.warm_up(transport, need)

    def _origin_wall(self):
        e = self.engine
        return e._wall0 + timedelta(microseconds=(self.origin_ns - e._perf0) / 1000)

    async def _open(self, transport: Transport, on_sample: OnSample) -> None:
        e = self.engine
        cap = e.concurrency if e.concurrency > 1 else None
        gate = asyncio.Semaphore(cap) if cap else None
        late_ns = int(LATE_SEND_MS * 1e6)
        e.health.start()
        self.origin_ns = t0 = perf_counter_ns() + START_LEAD_NS
        self._t_measure = t0
        origin_wall = self._origin_wall()
        async with asyncio.TaskGroup() as tg:
            for i, item in enumerate(e.measured_plan):
                due = t0 + self.offsets[i]
                if e._stop:
                    break
                await sleep_until(due)
                woke = perf_counter_ns()
                if gate is not None:
                    await gate.acquire()
                ready = perf_counter_ns()
                if ready - due > late_ns:  # too late to keep the plan: left out, counted
                    self.late_sends += 1
                    if gate is not None:
                        gate.release()
                    continue
                # the client's own lateness: from the due time, or from when the cap let it go
                client_due = ready if ready - woke > 1_000_000 else due
                intended_s = self.offsets[i] / 1e9
                tg.create_task(self._send(transport, item, client_due, intended_s, origin_wall,
                                          on_sample, gate))  # fmt: skip

    async def _send(self, transport: Transport, item: Planned, ready_ns: int, intended_s: float,
                    origin_wall, on_sample: OnSample, gate: asyncio.Semaphore | None) -> None:  # fmt: skip
        def record(target: int, sample: Sample) -> None:
            sample.intended_send_s = intended_s
            sample.send_s = (sample.started_at - origin_wall).total_seconds()
            on_sample(target, sample)

        try:
            await self.engine._one(transport, item, ready_ns, record)
        finally:
            if gate is not None:
                gate.release()

    async def _closed(self, transport: Transport, on_sample: OnSample) -> None:
        e = self.engine
        assert self.duration_s is not None
        feed = endless_rounds(len(e.targets), self.seed)
        e.health.start()
        self.origin_ns = self._t_measure = perf_counter_ns()
        end_ns = self.origin_ns + int(self.duration_s * 1e9)
        spread_ns = min(self.request_ns or 0, MAX_SPREAD_NS, int(self.duration_s * 1e9) // 2)
        workers = e.concurrency

        async def worker(k: int) -> None:
            if k:
                await asyncio.sleep(k * spread_ns / workers / 1e9)
            intended = perf_counter_ns()
            while not e._stop and perf_counter_ns() < end_ns:
                x = await e._one(transport, next(feed), intended, on_sample)
                intended = x.t_end or perf_counter_ns()

        async with asyncio.TaskGroup() as tg:
            for k in range(workers):
                tg.create_task(worker(k))
