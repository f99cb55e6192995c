"""What a run sends, in which order, and when: the plan, and the arrivals that time it.

The plan is a list of ``Planned`` requests: ``warmup`` discarded rounds then ``n`` measured
rounds, each round one request per target in a fresh random order (seeded), so targets are
interleaved and never measured in blocks.

``Arrivals`` decides *when* each measured request leaves. ``ClosedLoop`` (the default) has no
schedule: each of ``concurrency`` workers sends its next request the moment its previous one
ended. An open-loop arrival process (a request rate) returns planned send offsets instead, fixed
before the clock starts, and the engine sends each at its time (see ``engine.ProbeEngine``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Planned:
    target: int
    round: int
    warmup: bool


def plan(
    n_targets: int, n: int, warmup: int, seed: int | None
) -> tuple[list[Planned], list[Planned]]:
    """Warm-up and measured requests: one per target per round, each round freshly shuffled."""
    rng = random.Random(seed)
    order = list(range(n_targets))

    def rounds(count: int, is_warmup: bool) -> list[Planned]:
        out: list[Planned] = []
        for r in range(count):
            rng.shuffle(order)
            out.extend(Planned(t, r, is_warmup) for t in order)
        return out

    return rounds(warmup, True), rounds(n, False)


class Arrivals(Protocol):
    """When the measured requests of a plan are sent."""

    name: str

    def offsets_ns(self, count: int) -> list[int] | None:
        """Send offsets (ns after the measured phase starts) of ``count`` requests, planned
        before the clock starts; None for a closed loop (send when a worker is free)."""
        ...


class ClosedLoop:
    """Each worker sends its next request as soon as its previous one ended."""

    name = "closed"

    def offsets_ns(self, count: int) -> list[int] | None:
        return None
