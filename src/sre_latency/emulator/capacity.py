"""The emulator's capacity model: a fixed number of generation slots, a queue, a rate limit.

So that load tests, sweeps and capacity searches have a known answer offline::

    capacity N        at most N generations at once; a slot is held from admission to the
                      end of the response. Others wait in a FIFO queue: their first byte,
                      and so their TTFT, moves later by the time they waited
    queue_limit Q     at most Q requests wait; one more is answered 529 overloaded (503 on
                      the OpenAI and Bedrock routes), at once
    rate_limit R      a token bucket of R requests/s (burst: rate_limit_burst, default R,
                      at least 1); a request finding it empty is answered 429 with
                      retry-after, before it takes a slot or a place in the queue

The true sustainable rate of a profile is ``capacity / request time`` (request time = overhead
+ TTFT + (tokens − 1) × ITL); ``sustainable_rate_per_s`` says it.
"""

from __future__ import annotations

import asyncio
import collections
from time import perf_counter_ns

from sre_latency.emulator.profile import EmulatorProfile


class CapacityGate:
    """Admission of generation requests under the profile's capacity, queue and rate limit."""

    def __init__(self, profile: EmulatorProfile):
        self.capacity = profile.capacity
        self.queue_limit = profile.queue_limit
        self.rate = profile.rate_limit
        self.burst = float(profile.rate_limit_burst or max(1.0, self.rate or 1.0))
        self._tokens = self.burst
        self._refilled_ns = perf_counter_ns()
        self.active = 0
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._holders: set[int] = set()

    @property
    def queued(self) -> int:
        return len(self._waiting)

    def _take_token(self) -> bool:
        if self.rate is None:
            return True
        now = perf_counter_ns()
        self._tokens = min(self.burst, self._tokens + (now - self._refilled_ns) / 1e9 * self.rate)
        self._refilled_ns = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    async def enter(self, key: int) -> str | None:
        """Wait for a slot; None once admitted, or the fault behaviour that refuses it."""
        if not self._take_token():
            return "rate_limit"
        if self.capacity is None:
            return None
        if self.active < self.capacity and not self._waiting:
            self.active += 1
            self._holders.add(key)
            return None
        if self.queue_limit is not None and len(self._waiting) >= self.queue_limit:
            return "overloaded"
        ticket = asyncio.get_running_loop().create_future()
        self._waiting.append(ticket)
        try:
            await ticket  # ``leave`` hands its slot over: ``active`` stays counted
        except asyncio.CancelledError:
            if ticket.done() and not ticket.cancelled():
                self._release_slot()  # the slot arrived as the client left: pass it on
            elif ticket in self._waiting:
                self._waiting.remove(ticket)
            raise
        self._holders.add(key)
        return None

    def leave(self, key: int) -> None:
        """The request ``key`` ended (or never entered): its slot goes to the next in line."""
        if key in self._holders:
            self._holders.discard(key)
            self._release_slot()

    def _release_slot(self) -> None:
        while self._waiting:
            ticket = self._waiting.popleft()
            if not ticket.done():
                ticket.set_result(None)
                return
        self.active -= 1


def sustainable_rate_per_s(profile: EmulatorProfile, protocol: str = "anthropic") -> float | None:
    """Requests/s the profile can serve without a growing queue (None: no capacity limit)."""
    rates = []
    if profile.capacity is not None:
        request_ms = (
            profile.overhead_ms(protocol)
            + profile.ttft_ms
            + max(0, profile.output_tokens - 1) * profile.itl_ms
        )
        rates.append(profile.capacity * 1000.0 / request_ms if request_ms > 0 else float("inf"))
    if profile.rate_limit is not None:
        rates.append(profile.rate_limit)
    return min(rates) if rates else None
