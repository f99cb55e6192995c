"""When the monitor probes each target: once per interval, spread over the interval.

Round ``k`` starts at ``t0 + k × every``. Its targets, in a fresh random order, each get one
slot of ``every / targets`` seconds and start at the beginning of their slot plus a random
delay of up to ``jitter_pct`` of a slot (monitors in many places then never probe in the same
instant). Each probe is a one-target ``ProbeEngine`` run with ``n=1`` (no warm-up, no retries,
its own connection): the engine's deadlines and error classes, unchanged. Probes run in their
own tasks, so a slow one never delays the others; a target whose previous probe is still
running skips its slot (counted), so there is at most one request per target in flight and
never a burst. With ``once``, every target is probed at once and the round is awaited.

Garbage collection: the engine quiets the collector while it measures, after a full
collection; here the heap is frozen first (``gc.freeze``), so that collection only walks what
is new since the last probe, and a full collection runs between probes every
``FULL_GC_EVERY_S`` seconds instead (a monitor's heap is the same hour after hour).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from typing import Any

from sre_latency.errors import LatencyError

FULL_GC_EVERY_S = 600.0


class Scheduler:
    def __init__(self, monitor: Any):
        self.m = monitor
        self.inflight: dict[int, asyncio.Task] = {}
        self.skipped = 0
        self._thresholds = gc.get_threshold()
        self._last_full_gc = asyncio.get_running_loop().time()  # the monitor collected at start

    def _engine(self, index: int) -> Any:
        from sre_latency.probe.engine import Deadlines, ProbeEngine

        m, o = self.m, self.m.opts
        return ProbeEngine(
            [m.targets[index]], m.settings, m.prompt, n=1, max_tokens=o.max_tokens, warmup=0,
            concurrency=1, transport=o.transport, adapters=[m.adapters[index]],
            deadlines=Deadlines(connect_s=o.connect_timeout_s,
                                first_token_s=o.first_token_timeout_s or o.timeout_s,
                                total_s=o.timeout_s),
        )  # fmt: skip

    def _quiet_heap(self) -> None:
        loop_time = asyncio.get_running_loop().time()
        if len(self.inflight) <= 1 and loop_time - self._last_full_gc >= FULL_GC_EVERY_S:
            gc.collect()  # between probes: nothing is being timed
            self._last_full_gc = loop_time
        gc.freeze()

    async def _probe(self, index: int, round_: int) -> None:
        m = self.m
        try:
            engine = m.engine_for(index)
            self._quiet_heap()
            await engine.run(lambda _target, sample: m.on_sample(index, sample, round_))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one probe's failure never stops the monitor
            m.failed_probes += 1
            why = str(exc) if isinstance(exc, LatencyError) else f"{type(exc).__name__}: {exc}"
            m.log(f"probe of {m.targets[index].label} failed, going on: {why}")
        finally:
            self.inflight.pop(index, None)
            if not self.inflight:
                gc.unfreeze()
                gc.set_threshold(*self._thresholds)  # whatever overlapping probes left

    def _launch(self, index: int, round_: int) -> None:
        if index in self.inflight:
            self.skipped += 1
            self.m.log(f"{self.m.targets[index].label}: previous probe still running, slot "
                       "skipped")  # fmt: skip
            return
        self.inflight[index] = asyncio.ensure_future(self._probe(index, round_))

    async def _sleep_until(self, at: float) -> bool:
        """Sleep until loop time ``at``; True when the monitor was stopped meanwhile."""
        delay = at - asyncio.get_running_loop().time()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.m.stopped.wait(), delay)
        return self.m.stopped.is_set()

    async def _round(self, start: float, round_: int) -> bool:
        m = self.m
        order = list(range(len(m.targets)))
        m.rng.shuffle(order)
        slot = 0.0 if m.opts.once else m.every_s / len(order)
        for j, index in enumerate(order):
            jitter = m.rng.uniform(0, m.opts.jitter_pct / 100 * slot)
            if await self._sleep_until(start + j * slot + jitter):
                return True
            self._launch(index, round_)
        m.rounds_done = round_ + 1
        return False

    async def run(self) -> None:
        """Rounds until stopped (one with ``once``); in-flight probes are cancelled at stop."""
        m, loop = self.m, asyncio.get_running_loop()
        t0 = period = loop.time()
        k = 0
        try:
            while not m.stopped.is_set():
                if await self._round(t0 + k * m.every_s, k) or m.opts.once:
                    break
                k += 1
                if await self._sleep_until(t0 + k * m.every_s):
                    break
                if loop.time() - period >= m.rotate_s:
                    await m.rotate()
                    period = loop.time()
            if m.opts.once and self.inflight:
                await asyncio.wait(set(self.inflight.values()))
        finally:
            for task in list(self.inflight.values()):
                task.cancel()
            if self.inflight:
                await asyncio.wait(set(self.inflight.values()))
