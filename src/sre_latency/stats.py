"""Percentiles, dispersion and summaries over samples (vectorised numpy, linear percentiles).

Knows nothing of HTTP or MCP. Bootstrap confidence intervals and significance live here too,
seeded so that results are reproducible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from sre_latency.models import TIMING_FIELDS, Dist, Sample, Summary

PERCENTILES = (50, 90, 95, 99)


def dist(values: Sequence[float] | np.ndarray) -> Dist | None:
    """Distribution of ``values`` (NaN dropped); None when there is nothing to describe."""
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return None
    p50, p90, p95, p99 = np.percentile(arr, PERCENTILES)
    sd = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    return Dist(
        n=int(arr.size),
        mean=float(arr.mean()),
        sd=sd,
        min=float(arr.min()),
        p50=float(p50),
        p90=float(p90),
        p95=float(p95),
        p99=float(p99),
        max=float(arr.max()),
    )


def _column(samples: Sequence[Sample], field: str) -> np.ndarray:
    return np.array(
        [v if (v := getattr(s, field)) is not None else np.nan for s in samples], dtype=float
    )


def summarize(samples: Iterable[Sample]) -> Summary:
    """Summary of one target: counts over every sample, timings over successful samples only."""
    samples = list(samples)
    ok = [s for s in samples if s.error is None]
    errors = Counter(s.error.class_ for s in samples if s.error is not None)
    n = len(samples)
    fields: dict[str, Dist | None] = {f: dist(_column(ok, f)) for f in TIMING_FIELDS}
    fields["output_tps"] = dist(_column(ok, "output_tps"))
    fields["itl_ms"] = dist(
        np.array([s.itl_ms.mean if s.itl_ms.mean is not None else np.nan for s in ok], dtype=float)
    )
    return Summary(
        n=n,
        ok=len(ok),
        errors=n - len(ok),
        error_rate=(n - len(ok)) / n if n else 0.0,
        errors_by_class=dict(sorted(errors.items())),
        **fields,
    )


def _stat(values: np.ndarray, stat: str, axis: int = -1) -> np.ndarray:
    if stat == "mean":
        return values.mean(axis=axis)
    return np.percentile(values, float(stat.lstrip("p")), axis=axis)


def paired_delta_ci(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    stat: str = "p50",
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float] | None:
    """Paired difference ``stat(b − a)`` with a 95 % percentile-bootstrap CI.

    ``a[i]`` and ``b[i]`` were measured in the same round, so pairing cancels drift that hits
    both (network weather, machine load). ``stat`` is ``"mean"`` or ``"pNN"``. Returns
    ``(delta, ci95_low, ci95_high)``, or None with fewer than 2 complete pairs. Seeded: the same
    data always gives the same interval.
    """
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = b_arr - a_arr
    diff = diff[~np.isnan(diff)]
    if diff.size < 2:
        return None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, diff.size, size=(n_boot, diff.size))
    boots = _stat(diff[idx], stat, axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return float(_stat(diff, stat)), float(lo), float(hi)
