"""Open-loop arrival processes: when each request of a rate-driven run leaves.

An open loop sends at planned times whatever the server does, so a slow server meets a growing
queue instead of a politely waiting client (a closed loop's coordinated omission). Every process
here is seeded and plans all of its send offsets before the clock starts::

    constant         one request every 1/rate s
    poisson          exponential gaps (memoryless; coefficient of variation 1)
    gamma[:k]        gamma gaps of shape k (default 4): CV 1/√k; k < 1 is burstier than
                     Poisson, large k tends to constant

The offsets cover the whole plan (every target, interleaved), so ``rate`` here is the total rate:
``rate_per_target × targets``.
"""

from __future__ import annotations

import math

import numpy as np

from sre_latency.errors import ConfigError

ARRIVALS = ("constant", "poisson", "gamma")
DEFAULT_SMOOTHNESS = 4.0


class RateArrivals:
    """Offsets of an open-loop process at ``rate`` requests/s (see the module docstring)."""

    def __init__(self, kind: str, rate_per_s: float, *, smoothness: float | None = None,
                 seed: int | None = None):  # fmt: skip
        if kind not in ARRIVALS:
            raise ConfigError(f"unknown arrival {kind!r}; choose constant, poisson or gamma[:k].")
        if not rate_per_s > 0 or not math.isfinite(rate_per_s):
            raise ConfigError(f"the request rate must be a positive number, not {rate_per_s!r}.")
        self.kind = kind
        self.rate_per_s = float(rate_per_s)
        self.smoothness = smoothness if kind == "gamma" else None
        self.seed = seed

    @property
    def name(self) -> str:
        return f"gamma:{self.smoothness:g}" if self.kind == "gamma" else self.kind

    def gaps_s(self, count: int) -> np.ndarray:
        """``count`` inter-arrival gaps in seconds, mean 1/rate."""
        mean = 1.0 / self.rate_per_s
        rng = np.random.default_rng(self.seed)
        if self.kind == "constant":
            return np.full(count, mean)
        if self.kind == "poisson":
            return rng.exponential(mean, count)
        k = float(self.smoothness or DEFAULT_SMOOTHNESS)
        return rng.gamma(k, mean / k, count)

    def offsets_ns(self, count: int) -> list[int] | None:
        """Send offsets after the measured phase starts; the first request leaves at 0."""
        if count <= 0:
            return []
        gaps = self.gaps_s(count - 1)
        offsets = np.concatenate(([0.0], np.cumsum(gaps)))
        return [int(v) for v in np.round(offsets * 1e9)]

    def count_within(self, duration_s: float) -> int:
        """How many requests this process plans inside ``duration_s`` (the first at 0)."""
        expected = self.rate_per_s * duration_s
        margin = int(10 * math.sqrt(expected + 1) + 10)  # far beyond any draw of this seed
        offsets = self.offsets_ns(int(expected) + margin) or []
        limit = int(duration_s * 1e9)
        return sum(1 for v in offsets if v < limit)


def parse_arrival(spec: str) -> tuple[str, float | None]:
    """``"poisson"`` → ("poisson", None); ``"gamma:2"`` → ("gamma", 2.0); ConfigError otherwise."""
    kind, _, raw = spec.strip().lower().partition(":")
    if kind not in ARRIVALS:
        raise ConfigError(
            f"unknown arrival {spec!r}; choose constant, poisson or gamma[:smoothness] "
            "(e.g. gamma:2)."
        )
    if not raw:
        return kind, DEFAULT_SMOOTHNESS if kind == "gamma" else None
    if kind != "gamma":
        raise ConfigError(f"only gamma takes a parameter (gamma:2), not {spec!r}.")
    try:
        smoothness = float(raw)
    except ValueError:
        smoothness = float("nan")
    if not (smoothness > 0 and math.isfinite(smoothness)):
        raise ConfigError(f"the gamma smoothness must be a positive number, not {raw!r}.")
    return kind, smoothness


def make_arrivals(spec: str, rate_per_s: float, seed: int | None) -> RateArrivals:
    """The arrival process ``spec`` (constant | poisson | gamma[:k]) at ``rate_per_s`` in all."""
    kind, smoothness = parse_arrival(spec)
    return RateArrivals(kind, rate_per_s, smoothness=smoothness, seed=seed)
