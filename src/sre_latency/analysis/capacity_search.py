"""Where to go next in a capacity search, and the answer it comes to (see ``analysis.capacity``).

Doubling from ``start`` until the first breach (or ``maximum``), halving instead when even the
start breaks, then bisecting between the highest load that held and the lowest that broke
until they are within ``resolution`` (a fraction: 0.1 is 10 %), or one apart for a concurrency.

The answer reads like "sustains 14 req/s [12, 15] with TTFT p99 1.6 s; at 16 req/s TTFT p99 is
3.9 s and 4 % time out": the highest load that held, the bracket the capacity lies in (from the
highest load that held with margin, its percentiles' 95 % upper bounds under the bounds too,
to the lowest load that broke), the evidence of both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sre_latency.analysis.capacity import StepVerdict

SHRINK_STEPS = 6  # the start halved at most this many times before giving up


def _nice(value: float) -> float:
    """Three significant figures: steps read as 12.5 req/s, not 12.4999."""
    if value <= 0:
        return value
    digits = 2 - math.floor(math.log10(value))
    return round(value, max(0, digits))


@dataclass
class CapacitySearch:
    start: float
    maximum: float
    resolution: float = 0.1
    integer: bool = False  # a concurrency search: whole numbers, down to 1
    unit: str = "req/s"
    history: list[StepVerdict] = field(default_factory=list)

    @property
    def held(self) -> list[StepVerdict]:
        return [v for v in self.history if v.holds]

    @property
    def broke(self) -> list[StepVerdict]:
        return [v for v in self.history if not v.holds]

    @property
    def lo(self) -> float | None:
        return max((v.offered for v in self.held), default=None)

    @property
    def hi(self) -> float | None:
        return min((v.offered for v in self.broke), default=None)

    def record(self, verdict: StepVerdict) -> None:
        self.history.append(verdict)

    def next(self) -> float | None:
        """The next load to try, or None when the search is done."""
        if not self.history:
            return self._round(min(self.start, self.maximum))
        lo, hi = self.lo, self.hi
        if hi is None:  # still growing
            assert lo is not None
            return None if lo >= self.maximum else self._round(min(self.maximum, 2 * lo))
        if lo is None:  # even the lowest tried broke: halve, a few times
            nxt = self._round(hi / 2)
            floor = 1 if self.integer else self.start / 2**SHRINK_STEPS
            return None if nxt < floor or nxt >= hi else nxt
        if self.integer:
            return None if hi - lo <= 1 else int((lo + hi) // 2)
        if hi <= lo * (1 + self.resolution):
            return None
        nxt = self._round((lo + hi) / 2)
        return None if nxt in (lo, hi) else nxt

    def _round(self, value: float) -> float:
        return float(max(1, math.floor(value))) if self.integer else _nice(value)

    def bracket(self) -> tuple[float | None, float | None]:
        """(lower, upper): the highest load that held with margin, the lowest that broke."""
        clear = [v.offered for v in self.held if v.clear]
        lower = max(clear) if clear else (min(v.offered for v in self.held) if self.held else None)
        return lower, self.hi

    def answer(self) -> str:
        lo, hi = self.lo, self.hi
        u = self.unit
        held = next((v for v in self.held if v.offered == lo), None)
        broke = next((v for v in self.broke if v.offered == hi), None)
        if held is None:
            low = min(v.offered for v in self.history) if self.history else None
            at = f" even at {low:g} {u}" if low is not None else ""
            why = f": {broke.evidence}" if broke else ""
            return f"does not meet the SLO{at}{why}"
        if broke is None:
            return (f"sustains at least {lo:g} {u}, the most it tried, with {held.evidence}; "
                    "raise the maximum to look further")  # fmt: skip
        lower, upper = self.bracket()
        return (f"sustains {lo:g} {u} [{lower:g}, {upper:g}] with {held.evidence}; at {hi:g} {u} "
                f"{broke.evidence}")  # fmt: skip
