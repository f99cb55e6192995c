"""The prober watches itself, so no one mistakes client overhead for server latency.

Three signals, all from the measuring thread:

- **event-loop lag**: a ticker asks to wake every ``TICK_S``; how late it wakes is the time any
  arriving byte may also have waited before it was timestamped;
- **schedule lag**: in a closed loop each worker should send its next request the moment its
  previous one ends; the gap (sample bookkeeping, journal write, signing, loop delay) is client
  overhead that lowers the achieved rate;
- **CPU share**: CPU time of the measuring thread over wall time. Near one full core, the loop
  has no idle time left and every timestamp is late.

A run is marked ``valid: false`` when any threshold below is crossed; each reason is one line in
``validity_notes``. The thresholds are chosen against the fidelity targets (TTFT p99 error
≤ 10 ms): a loop that is late by more than that at p99 cannot meet them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from array import array
from time import perf_counter_ns

from sre_latency.core.contract import ClientHealth
from sre_latency.core.stats import linear_percentile

TICK_S = 0.010
MAX_LOOP_LAG_P99_MS = 10.0
MAX_SCHEDULE_LAG_P99_MS = 10.0
MAX_CPU_SHARE = 0.90


class HealthWatch:
    """Collects loop lag, schedule lag and CPU use between ``start()`` and ``stop()``."""

    def __init__(self, tick_s: float = TICK_S):
        self.tick_s = tick_s
        self.loop_lags_ns = array("q")
        self.schedule_lags_ns = array("q")
        self._task: asyncio.Task | None = None
        self._cpu0 = 0.0
        self._wall0 = 0
        self.cpu_s = 0.0
        self.wall_s = 0.0
        self.late_sends: int | None = None  # set by an open loop (probe/open_loop.py)

    @property
    def started(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        self._cpu0 = time.thread_time()
        self._wall0 = perf_counter_ns()
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        tick_ns = int(self.tick_s * 1e9)
        append = self.loop_lags_ns.append
        while True:
            before = perf_counter_ns()
            await asyncio.sleep(self.tick_s)
            append(max(0, perf_counter_ns() - before - tick_ns))

    def schedule(self, intended_ns: int, actual_ns: int) -> None:
        """A request meant to go at ``intended_ns`` went at ``actual_ns``."""
        self.schedule_lags_ns.append(max(0, actual_ns - intended_ns))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            self.cpu_s = time.thread_time() - self._cpu0
            self.wall_s = (perf_counter_ns() - self._wall0) / 1e9

    def report(self, requests: int) -> tuple[ClientHealth, list[str]]:
        """The figures, and one note per crossed threshold (empty when the client was fine)."""
        loop = sorted(v / 1e6 for v in self.loop_lags_ns)
        sched = sorted(v / 1e6 for v in self.schedule_lags_ns)
        health = ClientHealth(
            loop_lag_p50_ms=linear_percentile(loop, 50) if loop else None,
            loop_lag_p99_ms=linear_percentile(loop, 99) if loop else None,
            loop_lag_max_ms=loop[-1] if loop else None,
            schedule_lag_p99_ms=linear_percentile(sched, 99) if sched else None,
            cpu_ms_per_request=self.cpu_s * 1000 / requests if requests else None,
            late_sends=self.late_sends,
        )
        notes: list[str] = []
        if health.loop_lag_p99_ms is not None and health.loop_lag_p99_ms > MAX_LOOP_LAG_P99_MS:
            notes.append(
                f"client saturated: event-loop lag p99 {health.loop_lag_p99_ms:.1f} ms > "
                f"{MAX_LOOP_LAG_P99_MS:g} ms (n={len(loop)} ticks); lower --concurrency"
            )
        if (
            health.schedule_lag_p99_ms is not None
            and health.schedule_lag_p99_ms > MAX_SCHEDULE_LAG_P99_MS
        ):
            notes.append(
                f"client saturated: schedule lag p99 {health.schedule_lag_p99_ms:.1f} ms > "
                f"{MAX_SCHEDULE_LAG_P99_MS:g} ms (n={len(sched)} requests); lower --concurrency"
            )
        share = self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0
        if share > MAX_CPU_SHARE and self.wall_s >= 1.0:
            notes.append(
                f"client saturated: the measuring thread used {share:.0%} of a CPU core "
                f"(> {MAX_CPU_SHARE:.0%}); lower --concurrency"
            )
        return health, notes
