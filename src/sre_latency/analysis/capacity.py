"""The capacity search, as pure logic: what "the SLO holds" means for one step, and what to try next.

A step holds when every target meets every threshold of the SLO (and, with ``goodput``, when
that share of its requests met the per-request SLO). Latency percentiles are taken over *all*
the step's requests, a failed one counting as infinitely slow: a step where 4 % time out cannot
pass a p99 by dropping them. How many requests a step needs follows from the highest percentile
asked: a pQ needs ``n ≥ 3 / (1 − Q)`` (300 for a p99, 60 for a p95, and never fewer than 20), so
that at least three requests lie beyond it and the figure is not decided by one request.

The search (``CapacitySearch``) doubles the rate (or concurrency) from a start value until the
first clear breach, then bisects between the highest step that held and the lowest that broke,
until they are within ``resolution`` of each other (or one whole worker apart for concurrency).
A step is stopped as soon as its breach is certain (enough requests already missed the bound
that the rest cannot save it), which keeps the search cheap where the load is past capacity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sre_latency.core.contract import Sample
from sre_latency.core.metrics import RATE_METRICS, sentence_name, unit_of
from sre_latency.core.slo import DEFAULT_GOODPUT, Threshold, load_slo_file, parse_threshold
from sre_latency.errors import ConfigError

MIN_STEP_REQUESTS = 20
Z95 = 1.959964


@dataclass(frozen=True)
class Criterion:
    """What a step must meet: thresholds, and optionally a share of per-request goodput."""

    thresholds: tuple[Threshold, ...]
    goodput_slo: dict[str, float]
    goodput_share: float | None
    text: str  # as the user wrote it

    def samples_needed(self) -> int:
        """Requests per step and target for the highest percentile (or goodput share) asked."""
        tails = [1 - float(t.stat[1:]) / 100 for t in self.thresholds
                 if t.stat and t.stat.startswith("p") and float(t.stat[1:]) < 100]  # fmt: skip
        if self.goodput_share is not None and self.goodput_share < 1:
            tails.append(1 - self.goodput_share)
        needed = [math.ceil(3 / tail - 1e-9) for tail in tails if tail > 0]
        return max([MIN_STEP_REQUESTS, *needed])

    def why_n(self) -> str:
        n = self.samples_needed()
        asked = [t.stat for t in self.thresholds if t.stat and t.stat.startswith("p")]
        top = max(asked, key=lambda s: float(s[1:]), default=None)
        what = f"a {top}" if top else "the SLO"
        return (
            f"{what} needs at least {n} requests per step and target, so that at least three "
            "lie beyond it (n ≥ 3 / (1 − quantile), and never fewer than 20)"
        )


def parse_criterion(slo: str, goodput_share: float | None = None) -> Criterion:
    """``slo`` is an SLO file (its ``thresholds`` and ``[goodput]``) or threshold expressions
    separated by commas, e.g. ``"ttft_ms p99 < 2000, error_rate < 1%"``."""
    text = slo.strip()
    if not any(op in text for op in "<>"):  # no comparison: the name of an SLO file
        table = load_slo_file(Path(text).expanduser())
        thresholds, bounds = table.thresholds, dict(table.goodput)
        if not thresholds and goodput_share is None:
            raise ConfigError(
                f'{text} lists no thresholds: add thresholds = ["ttft_ms p99 < 2000"] to it, '
                "or give --goodput."
            )
    else:
        parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
        if not parts:
            raise ConfigError("--slo is empty: give thresholds like 'ttft_ms p99 < 2000'.")
        thresholds = tuple(parse_threshold(p, "--slo") for p in parts)
        bounds = {t.metric: t.value for t in thresholds
                  if t.metric not in RATE_METRICS and t.op in ("<", "<=")}  # fmt: skip
        bounds = bounds or dict(DEFAULT_GOODPUT)
    if any(t.op in (">", ">=") and t.metric not in ("output_tps",) for t in thresholds):
        raise ConfigError(
            "--slo: a capacity search bounds latency from above, e.g. 'ttft_ms p99 < 2000'."
        )
    return Criterion(tuple(thresholds), bounds, goodput_share, text)


def _quantile(values: np.ndarray, q: float) -> float:
    """numpy's linear percentile, with +inf (a failed request) allowed at the top."""
    v = np.sort(values)
    h = (v.size - 1) * q / 100.0
    lo = int(h)
    hi = min(lo + 1, v.size - 1)
    a, b = v[lo], v[hi]
    if (math.isinf(b) and h > lo) or math.isinf(a):
        return math.inf
    return float(a + (b - a) * (h - lo))


def _upper_rank(n: int, q: float) -> int:
    """The 0-based rank whose value bounds the pQ from above with 95 % confidence
    (order statistics of a binomial, normal approximation)."""
    p = q / 100.0
    return min(n - 1, math.ceil(n * p + Z95 * math.sqrt(n * p * (1 - p))))


@dataclass
class TargetFigures:
    label: str
    n: int
    errors: int
    timeouts: int
    good: int
    values: dict[str, float | None] = field(default_factory=dict)  # "ttft_ms p99" → value
    clear: bool = True  # every threshold also met at its 95 % upper bound


def _values(samples: list[Sample], metric: str) -> np.ndarray:
    """Every request's ``metric``, failed ones as +inf (they met no latency bound)."""
    out = [getattr(s, metric) if s.error is None else None for s in samples]
    return np.array([math.inf if v is None else v for v in out], dtype=float)


def figures_of(label: str, samples: list[Sample], c: Criterion) -> TargetFigures:
    n = len(samples)
    errors = sum(1 for s in samples if s.error is not None)
    timeouts = sum(1 for s in samples if s.error is not None and s.error.class_ == "timeout")
    good = 0
    for s in samples:
        if s.error is None and all(
            (v := getattr(s, m, None)) is not None and v <= b for m, b in c.goodput_slo.items()
        ):
            good += 1
    f = TargetFigures(label, n, errors, timeouts, good)
    for t in c.thresholds:
        name = f"{t.metric} {t.stat}" if t.stat else t.metric
        if t.metric == "error_rate":
            f.values[name] = errors / n if n else None
            continue
        v = _values(samples, t.metric)
        if not n:
            f.values[name] = None
        elif t.stat and t.stat.startswith("p"):
            q = float(t.stat[1:])
            f.values[name] = _quantile(v, q)
            upper = float(np.sort(v)[_upper_rank(n, q)])
            f.clear = f.clear and t.passes(upper)
        else:
            finite = v[np.isfinite(v)]
            f.values[name] = (
                float(getattr(np, "mean" if t.stat == "mean" else t.stat)(finite))
                if finite.size
                else None
            )
    return f


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    if math.isinf(value):
        return "∞ (failed requests)"
    if unit_of(metric) == "ms":
        return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"
    if metric == "error_rate":
        return f"{100 * value:.1f} %"
    return f"{value:.3g}"


@dataclass
class StepVerdict:
    """One step judged against the criterion."""

    offered: float
    holds: bool
    clear: bool  # held with its percentiles' 95 % upper bounds under the bounds too
    targets: list[TargetFigures]
    evidence: str
    stopped_early: bool = False

    @property
    def n(self) -> int:
        return sum(t.n for t in self.targets)


def _failed(f: TargetFigures, c: Criterion) -> list[tuple[str, str, float | None]]:
    """(metric, name, value) of each part of the criterion ``f`` misses."""
    out = []
    for t in c.thresholds:
        name = f"{t.metric} {t.stat}" if t.stat else t.metric
        value = f.values.get(name)
        if value is None or not t.passes(value):
            out.append((t.metric, name, value))
    if c.goodput_share is not None and (f.good / f.n if f.n else 0.0) < c.goodput_share:
        out.append(("goodput", "goodput", f.good / f.n if f.n else None))
    return out


def _say(metric: str, name: str, value: float | None, verb: str = "") -> str:
    """``"TTFT p99 1.60 s"``, or with ``verb="is"`` ``"TTFT p99 is 3.90 s"``."""
    if metric == "goodput":
        return f"only {100 * (value or 0):.1f} % of requests met the per-request SLO"
    stat = name.split(" ", 1)[1] if " " in name else ""
    return " ".join(p for p in (sentence_name(metric), stat, verb, _fmt(metric, value)) if p)


def _errors_phrase(f: TargetFigures) -> str:
    parts = []
    if f.timeouts:
        parts.append(f"{100 * f.timeouts / f.n:.0f} % time out")
    if f.errors - f.timeouts:
        parts.append(f"{100 * (f.errors - f.timeouts) / f.n:.0f} % fail")
    return " and ".join(parts)


def judge(offered: float, samples: dict[str, list[Sample]], c: Criterion,
          stopped_early: bool = False) -> StepVerdict:  # fmt: skip
    """The verdict of one step: every target against every part of ``c``."""
    figures = [figures_of(label, s, c) for label, s in samples.items()]
    misses = [(f, m) for f in figures for m in _failed(f, c)]
    holds = bool(figures) and all(f.n for f in figures) and not misses
    if holds:
        first = c.thresholds[0] if c.thresholds else None
        name = (
            f"{first.metric} {first.stat}"
            if first and first.stat
            else (first.metric if first else "")
        )
        worst = max(figures, key=lambda f: f.values.get(name) or 0.0) if first else figures[0]
        evidence = (
            _say(first.metric, name, worst.values.get(name)) if first else "every request good"
        )
        return StepVerdict(offered, True, all(f.clear for f in figures), figures, evidence)
    if not figures or not all(f.n for f in figures):
        return StepVerdict(offered, False, True, figures, "no request finished", stopped_early)
    f, (metric, name, value) = misses[0]
    label = f"{f.label} " if len(figures) > 1 else ""
    evidence = f"{label}{_say(metric, name, value, 'is')}"
    if errors := _errors_phrase(f):
        evidence += f" and {errors}"
    return StepVerdict(offered, False, True, figures, evidence, stopped_early)


class BreachWatch:
    """Sees a step's samples as they finish; says when its breach is already certain."""

    def __init__(self, c: Criterion, planned_per_target: int):
        self.c = c
        self.n = planned_per_target
        self.misses: dict[tuple[str, str], int] = {}

    def _limit(self, t: Threshold) -> int | None:
        """How many misses of ``t`` a full step can take before its verdict is a breach."""
        if t.metric == "error_rate":
            return (
                math.ceil(t.value * self.n - 1e-9)
                if t.op == "<"
                else math.floor(t.value * self.n) + 1
            )
        if t.stat and t.stat.startswith("p"):
            return self.n - int((self.n - 1) * float(t.stat[1:]) / 100.0)
        return None

    def see(self, label: str, sample: Sample) -> bool:
        """True once this step cannot hold whatever its remaining requests do."""
        c = self.c
        for t in c.thresholds:
            limit = self._limit(t)
            if limit is None:
                continue
            value = None if sample.error is not None else getattr(sample, t.metric, None)
            missed = sample.error is not None if t.metric == "error_rate" else (
                value is None or not t.passes(value))  # fmt: skip
            if missed:
                key = (label, f"{t.metric} {t.stat}")
                self.misses[key] = self.misses.get(key, 0) + 1
                if self.misses[key] >= limit:
                    return True
        if c.goodput_share is not None:
            good = sample.error is None and all(
                (v := getattr(sample, m, None)) is not None and v <= b
                for m, b in c.goodput_slo.items())  # fmt: skip
            if not good:
                key = (label, "goodput")
                self.misses[key] = self.misses.get(key, 0) + 1
                if self.misses[key] > self.n * (1 - c.goodput_share):
                    return True
        return False
