"""Which target of one run is compared with which target of another, and under what conditions.

Labels are what a user typed (``anthropic`` in a one-model run, ``anthropic/haiku-4.5`` in a
two-model run), so they cannot pair targets: a Haiku run and an Opus run both call their target
``anthropic``. Targets pair by what they measured: provider, model id and Bedrock variant
(``bedrock+guardrail``). A target left without a partner is paired with the one of the same
provider and variant measuring another model, and that difference is named: ``compare`` then
shows the figures but calls nothing a regression unless told to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sre_latency.analysis.columns import RunColumns, TargetColumns
from sre_latency.core.conditions import endpoint_host, same_endpoint


def variant(label: str) -> str:
    """``bedrock+guardrail/haiku-4.5`` → ``guardrail``; ``anthropic`` → ``""``."""
    return label.split("/", 1)[0].partition("+")[2]


def target_key(t: TargetColumns) -> tuple[str, str, str]:
    return (t.provider, t.model, variant(t.label))


def _loose_key(t: TargetColumns) -> tuple[str, str]:
    return (t.provider, variant(t.label))


@dataclass
class Pairing:
    """One target across the runs: its columns per run (None where absent) and, per later run
    index, what differs about the target itself (model, endpoint)."""

    label: str
    targets: list[TargetColumns | None]
    differs: dict[int, list[str]] = field(default_factory=dict)

    @property
    def base(self) -> TargetColumns | None:
        return self.targets[0]


def _take(free: dict[str, TargetColumns], want, key, label: str) -> TargetColumns | None:
    """The free target whose ``key`` equals ``want`` (the same label first), removed from free."""
    found = [t for t in free.values() if key(t) == want]
    if not found:
        return None
    chosen = next((t for t in found if t.label == label), found[0])
    del free[chosen.label]
    return chosen


def pair_targets(cols: list[RunColumns]) -> list[Pairing]:
    """Every target of the baseline with its partner in each later run, then the targets the
    baseline lacks (paired among the later runs the same way)."""
    pairings = [
        Pairing(label, [t] + [None] * (len(cols) - 1)) for label, t in cols[0].targets.items()
    ]
    for j, run in enumerate(cols[1:], start=1):
        free = dict(run.targets)
        for key, loose in ((target_key, False), (_loose_key, True)):
            for p in pairings:
                anchor = p.base or next((t for t in p.targets if t is not None), None)
                if anchor is None or p.targets[j] is not None:
                    continue
                match = _take(free, key(anchor), key, anchor.label)
                if match is not None:
                    p.targets[j] = match
                    p.differs[j] = _target_differences(anchor, match, loose)
        for t in free.values():
            targets: list[TargetColumns | None] = [None] * len(cols)
            targets[j] = t
            pairings.append(Pairing(t.label, targets))
    return pairings


def _target_differences(a: TargetColumns, b: TargetColumns, model_differs: bool) -> list[str]:
    out = [f"model {a.model} vs {b.model}"] if model_differs and a.model != b.model else []
    if not same_endpoint(a.endpoint, b.endpoint):
        out.append(f"endpoint {endpoint_host(a.endpoint)} vs {endpoint_host(b.endpoint)}")
    return out
