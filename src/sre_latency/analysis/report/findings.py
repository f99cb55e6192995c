"""The report's verdicts: status, the main finding and the tiers, each true to the figures.

A finding is a difference whose 95 % CI excludes zero *and* that exceeds ``MIN_CHANGE_PCT`` of
the faster target's figure (as ``compare --min-change-pct``): a 0.3 ms gap on a 300 ms TTFT is
noise, not a finding. Tiers follow each target's grade against the whole SLO table, so a target
graded F is never "excellent". Every target that failed all its requests is named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sre_latency.analysis.report.advice import fastest_and_slowest, ttft_p50_gap_ci
from sre_latency.analysis.report.models import Tier

if TYPE_CHECKING:
    from sre_latency.analysis.columns import RunColumns
    from sre_latency.analysis.report.models import ErrorClassReport, TargetReport

MIN_CHANGE_PCT = 5.0
TIER_OF_GRADE = {"A": "excellent", "B": "good", "C": "fair", "D": "poor", "F": "unacceptable"}
TIERS = (*TIER_OF_GRADE.values(), "unavailable")


def _ms(value: float) -> str:
    """Whole milliseconds, never ``-0``."""
    text = f"{value:.0f}"
    return "0" if text == "-0" else text


def sentence_start(finding: str, labels: set[str]) -> str:
    """``finding`` as a sentence: capitalised, unless it opens with a target's label."""
    first = finding.split(" ", 1)[0]
    return finding if first in labels else finding[:1].upper() + finding[1:]


def _names(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + f" and {labels[-1]}"


def _dead_finding(dead: list[TargetReport], errors: list[ErrorClassReport]) -> str:
    classes = [e.error_class for e in errors if any(t.label in e.by_target for t in dead)]
    kinds = f"{_names(classes)} errors" if classes else "errors"
    if len(dead) == 1:
        return f"{dead[0].label} failed every one of its {dead[0].n} requests ({kinds})."
    counts = ", ".join(f"{t.label} {t.n}" for t in dead)
    return (
        f"{_names([t.label for t in dead])} failed every one of their requests ({counts}; {kinds})."
    )


def main_finding(cols: RunColumns, targets: list[TargetReport], errors) -> str:
    """The one sentence a reader takes away."""
    dead = [t for t in targets if t.n and not t.ok]
    if dead:
        return _dead_finding(dead, errors)
    n, n_err = cols.n, sum(e.count for e in errors)
    if n and n_err / n >= 0.05:
        e = errors[0]
        worst = max(e.by_target, key=e.by_target.get)
        return (
            f"{100 * n_err / n:.1f} % of requests failed, mostly {e.error_class} "
            f"({e.count}, most on {worst})."
        )
    extremes = fastest_and_slowest(targets)
    if extremes:
        return _fastest(cols, *extremes, targets)
    t = next((t for t in targets if t.metrics[0].p50 is not None), None)
    if t is not None:
        return (
            f"{t.label} answers with TTFT p50 {t.metrics[0].p50:.0f} ms and p99 "
            f"{t.metrics[0].p99:.0f} ms over {t.metrics[0].n} requests (grade {t.grade})."
        )
    return "no request succeeded."


def _fastest(
    cols: RunColumns, fast: TargetReport, slow: TargetReport, targets: list[TargetReport]
) -> str:
    f50, s50 = fast.metrics[0].p50, slow.metrics[0].p50
    ci = ttft_p50_gap_ci(cols, fast, slow)
    span = f"TTFT p50 ranges {f50:.0f}–{s50:.0f} ms"
    if ci is None:
        return f"no target can be called faster to the first token: {span}, too few samples."
    gap, lo, hi = ci
    figure = f"{_ms(gap)} ms [95 % CI {_ms(lo)}, {_ms(hi)}]"
    if lo > 0 and gap > MIN_CHANGE_PCT / 100 * f50:
        if len([t for t in targets if t.metrics[0].p50 is not None]) == 2:
            return (
                f"{fast.label} reaches the first token sooner than {slow.label}: TTFT p50 "
                f"{f50:.0f} ms vs {s50:.0f} ms, {figure} sooner."
            )
        return (  # the ranking of the others is not claimed: only the extremes were tested
            f"{slow.label} is the slowest to the first token: TTFT p50 {s50:.0f} ms, {figure} "
            f"behind {fast.label} ({f50:.0f} ms, the lowest)."
        )
    why = (
        f"the gap, {figure}, is within {MIN_CHANGE_PCT:g} % of {f50:.0f} ms"
        if lo > 0
        else f"the CI of the gap ({figure}) includes zero"
    )
    return f"no target is meaningfully faster to the first token: {span} and {why}."


def tiers(targets: list[TargetReport], table) -> list[Tier]:
    """Targets grouped by tier, the tier being the target's grade against the SLO table."""
    groups: dict[str, list[str]] = {}
    for t in targets:
        tier = TIER_OF_GRADE.get(t.grade or "", "unavailable")
        p50 = t.metrics[0].p50
        groups.setdefault(tier, []).append(
            f"{t.label} (grade {t.grade}, TTFT p50 {p50:.0f} ms)" if p50 is not None else t.label
        )
    rows = len(table.rules)
    criteria = {
        tier: f"grade {grade} against the SLO table ({rows} rows, worst row decides)"
        for grade, tier in TIER_OF_GRADE.items()
    }
    criteria["unavailable"] = "no successful sample, or nothing could be graded"
    return [Tier(tier=k, criterion=criteria[k], targets=groups[k]) for k in TIERS if k in groups]


def status(targets: list[TargetReport], error_rate: float | None) -> str:
    grades = [t.grade for t in targets]
    rate = error_rate or 0.0
    if "F" in grades or rate > 0.10 or any(t.n and not t.ok for t in targets):
        return "failing"
    if any(g in ("C", "D") for g in grades) or rate > 0.01:
        return "degraded"
    return "healthy"
