"""What every protocol handler shares: the profile, seeded randomness, the fault picker, the
recorder, and the send-time schedule of one response. Handlers import this, never the app."""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import Awaitable, Callable
from time import perf_counter_ns
from typing import Any

from sre_latency.emulator.capacity import CapacityGate
from sre_latency.emulator.content import PromptCache
from sre_latency.emulator.http import Request, Responder
from sre_latency.emulator.profile import EmulatorProfile
from sre_latency.emulator.records import Recorder

Handler = Callable[[Request, Responder, "EmulatorState"], Awaitable[None]]


async def sleep_until(target_ns: int) -> None:
    """Sleep until perf_counter_ns() ≥ target_ns: never early (uvloop timers can fire ~1 ms early)."""
    first = True
    while (remaining_ns := target_ns - perf_counter_ns()) > 0:
        # the first sleep is exact; a re-sleep rounds up to whole ms so uvloop cannot spin
        await asyncio.sleep(remaining_ns / 1e9 if first else -(-remaining_ns // 1_000_000) / 1e3)
        first = False


class Schedule:
    """Absolute send times for one response, anchored at the request's arrival.

    Targets never drift: if one event goes out late, the next is still due at its own time.
    """

    __slots__ = ("_state", "first_byte_ns", "next_ns")

    def __init__(self, state: EmulatorState, received_ns: int, overhead_ms: float):
        self._state = state
        self.first_byte_ns = received_ns + int(overhead_ms * 1e6)
        self.next_ns = self.first_byte_ns

    def first_token_at(self, extra_ms: float = 0.0) -> int:
        """Due time of the first content delta: first byte + jittered TTFT (+ extra_ms)."""
        ttft_ms = self._state.jittered(self._state.profile.ttft_ms)
        self.next_ns = self.first_byte_ns + int((ttft_ms + extra_ms) * 1e6)
        return self.next_ns

    def next_token_at(self) -> int:
        """Due time of the next content delta: previous due time + jittered inter-token gap."""
        self.next_ns += int(self._state.jittered(self._state.profile.itl_ms) * 1e6)
        return self.next_ns


class EmulatorState:
    """Everything handlers share: the profile, seeded randomness, the fault picker, the recorder."""

    def __init__(self, profile: EmulatorProfile, script: Any = None):
        self.profile = profile
        self.recorder = Recorder(profile.max_records)
        self.script = script
        self.prompt_cache = PromptCache()
        self._instance_id = secrets.token_hex(6)  # request ids stay unique across runs and resets
        self._id_seq = 0
        self.capacity = CapacityGate(profile)
        self.reseed()

    def reseed(self) -> None:
        seed = self.profile.seed
        self.rng = random.Random(f"jitter:{seed}")
        self._fault_rng = random.Random(f"faults:{seed}")

    def pick_fault(self, protocol: str) -> str | None:
        """Draw at most one fault behaviour for a request of ``protocol`` (seeded, in arrival order)."""
        faults = [f for f in self.profile.faults if f.protocol in (None, protocol)]
        if not faults:
            return None
        draw = self._fault_rng.random()
        cumulative = 0.0
        for fault in faults:
            cumulative += fault.rate
            if draw < cumulative:
                return fault.behaviour
        return None

    async def admit(self, req: Request, resp: Responder, protocol: str) -> str | None:
        """The capacity model's answer (``emulator/capacity.py``), then the fault draw.

        Returns the fault behaviour to play (a refusal: ``rate_limit`` or ``overloaded``), or
        None. A request that waited for a slot has its schedule moved later by the wait
        (``req.received_ns``; its record keeps the arrival and the wait as ``queue_ns``), so
        its TTFT includes the wait. The app frees the slot when the response ends.
        """
        asked_ns = perf_counter_ns()
        refused = await self.capacity.enter(id(req))
        if refused is not None:
            return refused
        resp.record.admitted_ns = admitted_ns = perf_counter_ns()
        wait_ns = admitted_ns - asked_ns
        if wait_ns > 1_000_000:  # waited for a slot, not just a loop tick
            resp.record.queue_ns = wait_ns
            req.received_ns += wait_ns
        return self.pick_fault(protocol)

    def jittered(self, ms: float) -> float:
        """``ms`` plus a seeded uniform ±jitter_ms, never below zero."""
        jitter = self.profile.jitter_ms
        if not jitter:
            return ms
        return max(0.0, ms + self.rng.uniform(-jitter, jitter))

    async def delay(self, ms: float) -> None:
        """Sleep a jittered ``ms`` (never early)."""
        await sleep_until(perf_counter_ns() + int(self.jittered(ms) * 1e6))

    def schedule(self, request: Request, protocol: str, extra_overhead_ms: float = 0.0) -> Schedule:
        """The send-time plan for one response: the protocol's overhead, then TTFT, then gaps."""
        overhead_ms = self.profile.overhead_ms(protocol) + extra_overhead_ms
        return Schedule(self, request.received_ns, overhead_ms)

    def prompt_usage(self, body: dict[str, Any]) -> dict[str, int]:
        """Input-token usage of an Anthropic-shaped body, with prompt caching emulated."""
        return self.prompt_cache.usage(body)

    def new_request_id(self, prefix: str = "req_") -> str:
        self._id_seq += 1
        return f"{prefix}emu{self._instance_id}{self._id_seq:08d}"
