"""The monitor's rolling window: the last ``span_s`` seconds of observations, per target.

The window answers ``/status`` and sets the compliance gauges. It is read by the HTTP server's
thread while the probing loop adds to it, hence the lock. Memory is bounded by the span: one
small record per request (6 targets every 10 s for an hour: 2,160 records).
"""

from __future__ import annotations

import threading
import time
from collections import deque

from sre_latency.monitor.observation import Observation
from sre_latency.monitor.status import MonitorStatus, matches, summarise


class RollingWindow:
    def __init__(self, span_s: float, objective: float, source: str = "the monitor's window"):
        self.span_s = span_s
        self.objective = objective
        self.source = source
        self._lock = threading.Lock()
        self._by_key: dict[tuple[str, str], deque[Observation]] = {}
        self._good: dict[tuple[str, str], int] = {}

    def _prune(self, key: tuple[str, str], now_s: float) -> None:
        q = self._by_key[key]
        while q and q[0].started_s < now_s - self.span_s:
            self._good[key] -= q.popleft().good

    def add(self, o: Observation, now_s: float | None = None) -> float:
        """Add ``o``; returns its target's compliance (good / all) over the window."""
        now_s = time.time() if now_s is None else now_s
        with self._lock:
            q = self._by_key.setdefault(o.key, deque())
            self._good[o.key] = self._good.get(o.key, 0) + o.good
            q.append(o)
            self._prune(o.key, now_s)
            return self._good[o.key] / len(q) if q else 1.0

    def __len__(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._by_key.values())

    def status(self, provider: str | None = None, location: str | None = None,
               last_s: float | None = None, now_s: float | None = None) -> MonitorStatus:  # fmt: skip
        """What the window holds (the last ``last_s`` seconds of it), optionally one provider."""
        now_s = time.time() if now_s is None else now_s
        span = min(last_s or self.span_s, self.span_s)
        with self._lock:
            for key in self._by_key:
                self._prune(key, now_s)
            picked = [o for q in self._by_key.values() for o in q
                      if matches(o, provider, location)]  # fmt: skip
        notes = []
        if last_s is not None and last_s > self.span_s:
            notes.append(f"the window holds {self.span_s:g} s; older requests are in the store")
        return summarise(picked, now_s - span, now_s, self.source, self.objective, notes=notes)
