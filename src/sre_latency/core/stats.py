"""Percentiles, dispersion and summaries over samples (vectorised numpy, linear percentiles).

Knows nothing of HTTP or MCP. Confidence intervals live here too, and none depends on a seed:
rerunning an analysis on the same file prints the same bounds (the exact distribution-free
order-statistic interval for a percentile of paired differences, a fixed-stream bootstrap for
the difference of two runs' percentiles, t intervals for means, Newcombe for rates).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from statistics import NormalDist

import numpy as np

from sre_latency.core.contract import Dist, Sample, Summary
from sre_latency.core.metrics import TIMING_FIELDS

PERCENTILES = (50, 90, 95, 99)


def _finite_or_not():
    """Figures near the float limit (a hostile file's 1e308 ms) overflow to inf, quietly: a
    statistic of absurd values is absurd, not an error."""
    return np.errstate(over="ignore", invalid="ignore")


def dist(values: Sequence[float] | np.ndarray) -> Dist | None:
    """Distribution of ``values`` (NaN dropped); None when there is nothing to describe."""
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return None
    with _finite_or_not():
        p50, p90, p95, p99 = np.percentile(arr, PERCENTILES)
        sd = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
        mean = float(arr.mean())
    return Dist(
        n=int(arr.size),
        mean=mean,
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
        buffered=sum(1 for s in ok if s.buffered),
        new_connections=sum(1 for s in samples if s.new_connection),
    )


def paired_delta_ci(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    stat: str = "p50",
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float] | None:
    """Paired difference ``stat(b − a)`` with a 95 % confidence interval that needs no seed.

    ``a[i]`` and ``b[i]`` were measured in the same round, so pairing cancels drift that hits
    both (network weather, machine load). ``stat`` is ``"mean"`` or ``"pNN"``. A percentile of
    the differences gets the exact distribution-free interval between two of their order
    statistics (binomial coverage, ``quantile_bounds``); the mean gets Student's t. Returns
    ``(delta, ci95_low, ci95_high)``, or None with fewer than 2 complete pairs. Deterministic:
    the same data always gives the same bounds (``n_boot`` and ``seed`` are kept for callers;
    a resampled interval moved with the seed by more than its shown precision).
    """
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = b_arr - a_arr
    diff = np.sort(diff[~np.isnan(diff)])
    if diff.size < 2:
        return None
    if stat == "mean":
        mean, half = _mean_half_width(diff)
        return mean, mean - half, mean + half
    lo, hi, _ = quantile_bounds(diff.size, float(stat.lstrip("p")) / 100.0)
    return linear_percentile(diff, float(stat.lstrip("p"))), float(diff[lo]), float(diff[hi])


def quantile_bounds(n: int, q: float, confidence: float = 0.95) -> tuple[int, int, float]:
    """0-based ranks ``(lo, hi)`` of the order statistics that bound the ``q``-quantile
    (0 < q < 1) of ``n`` values with at least ``confidence``, and the coverage they have.

    The number of values below the true quantile is Binomial(n, q), so ``[x_(lo), x_(hi)]``
    covers it with probability P(lo < B ≤ hi) whatever the distribution. Each tail gets at most
    ``(1 − confidence) / 2``; when ``n`` is too small for that the ranks stop at the extremes and
    the coverage returned is what they achieve.
    """
    k = np.arange(n + 1)
    log_fact = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, n + 1)))))
    qq = min(max(q, 1e-12), 1.0 - 1e-12)
    log_pmf = log_fact[n] - log_fact - log_fact[::-1] + k * np.log(qq) + (n - k) * np.log1p(-qq)
    cdf = np.cumsum(np.exp(log_pmf))  # cdf[k] = P(B <= k)
    tail = (1.0 - confidence) / 2.0
    lower = max(1, int(np.searchsorted(cdf, tail, side="right")))  # 1-based rank
    upper = min(n, int(np.searchsorted(cdf, 1.0 - tail, side="left")) + 1)
    if lower >= upper:
        lower, upper = (upper - 1, upper) if upper > 1 else (1, 2)
    coverage = float(cdf[upper - 1] - cdf[lower - 1])
    return lower - 1, upper - 1, coverage


def _t_quantile(df: float, confidence: float = 0.95) -> float:
    """Student's t quantile of a two-sided ``confidence`` interval (Cornish-Fisher series in
    1/df: within 1e-3 of the exact value at 95 % for df >= 3)."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    if df <= 0:
        return float("inf")
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def _mean_half_width(x: np.ndarray) -> tuple[float, float]:
    n = x.size
    sd = float(x.std(ddof=1)) if n > 1 else 0.0
    return float(x.mean()), _t_quantile(n - 1) * sd / float(np.sqrt(n))


def linear_percentile(sorted_values, q: float) -> float:
    """numpy's default (linear) percentile ``q`` (0–100) of an already sorted, NaN-free,
    non-empty sequence (a list or an array), in O(1).

    The analysis tools sort each column once and read every percentile from it; the probe uses
    it on short lists without numpy arrays. Same interpolation and rounding as ``np.percentile``.
    """
    h = (len(sorted_values) - 1) * q / 100.0
    lo = int(h)
    hi = min(lo + 1, len(sorted_values) - 1)
    t = h - lo
    a, b = float(sorted_values[lo]), float(sorted_values[hi])
    diff = b - a
    return b - diff * (1.0 - t) if t >= 0.5 else a + diff * t


def percentile(values: np.ndarray, stat: str, presorted: bool = False) -> float | None:
    """One statistic of ``values``: ``mean``, ``sd``, ``min``, ``max`` or ``pNN``; None if empty.

    NaN values are dropped, unless ``presorted`` says the array is already sorted and NaN-free.
    """
    arr = np.asarray(values, dtype=float)
    if not presorted:
        arr = np.sort(arr[~np.isnan(arr)])
    if arr.size == 0:
        return None
    if stat == "mean":
        with _finite_or_not():
            return float(arr.mean())
    if stat == "sd":
        with _finite_or_not():
            return float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    if stat == "min":
        return float(arr[0])
    if stat == "max":
        return float(arr[-1])
    return linear_percentile(arr, float(stat.lstrip("p")))


def bootstrap_stat_draws(
    values: np.ndarray, stat: str, n_boot: int, rng: np.random.Generator, presorted: bool = False
) -> np.ndarray:
    """``n_boot`` draws of ``stat`` over bootstrap resamples of ``values`` (no NaN), in O(n log n).

    A percentile of a resample is a pair of its order statistics. The k-th smallest of n uniform
    draws is Beta(k, n-k+1), and the resample's k-th smallest value is the sorted original at
    ``floor(U * n)``; drawing those two order statistics directly gives exactly the bootstrap
    distribution of numpy's linear percentile without materialising ``n_boot × n`` resamples, so
    a million samples cost one sort. The mean uses resampling when small and the normal limit
    (sd/√n) when ``n × n_boot`` would not fit in memory.
    """
    x = np.asarray(values, dtype=float) if presorted else np.sort(np.asarray(values, dtype=float))
    n = x.size
    if stat == "mean":
        if n * n_boot <= 4_000_000:
            return x[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
        sd = x.std(ddof=1) if n > 1 else 0.0
        return rng.normal(x.mean(), sd / np.sqrt(n), size=n_boot)
    q = float(stat.lstrip("p"))
    h = (n - 1) * q / 100.0
    lo = int(np.floor(h))
    frac = h - lo
    u_lo = rng.beta(lo + 1, n - lo, size=n_boot)  # the (lo+1)-th smallest of n uniforms
    y_lo = x[np.minimum((u_lo * n).astype(np.int64), n - 1)]
    if frac == 0.0 or lo + 1 >= n:
        return y_lo
    # the next order statistic: the smallest of the n-lo-1 uniforms above u_lo
    u_hi = u_lo + (1.0 - u_lo) * rng.beta(1, n - lo - 1, size=n_boot)
    y_hi = x[np.minimum((u_hi * n).astype(np.int64), n - 1)]
    return y_lo + frac * (y_hi - y_lo)


UNPAIRED_DRAWS = 50_000
_UNPAIRED_STREAM = 20_261_201  # the one stream every unpaired interval is drawn from


def unpaired_delta_ci(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    stat: str = "p50",
    n_boot: int = 4000,
    seed: int = 0,
    presorted: bool = False,
    confidence: float = 0.95,
) -> tuple[float, float, float] | None:
    """Difference ``stat(b) − stat(a)`` of two independent samples with a 95 % CI
    (``confidence``: another level, e.g. a Bonferroni-corrected one for a family of tests).

    For runs that were not measured side by side (two runs of the same target on different
    days), so no pairing is possible, and no exact interval exists for a difference of two
    quantiles: a percentile gets the percentile bootstrap, drawn from one fixed stream of at
    least ``UNPAIRED_DRAWS`` draws (``bootstrap_stat_draws``: O(draws) after the sort), so the
    same data always gives the same bounds and they sit within about 1 % of the exact
    bootstrap's; the mean gets Welch's t. ``seed`` is kept for callers: no seed moves a bound.
    NaN dropped (``presorted``: both already sorted and NaN-free); None when either side has
    fewer than 2 values.
    """
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if not presorted:
        a_arr, b_arr = np.sort(a_arr[~np.isnan(a_arr)]), np.sort(b_arr[~np.isnan(b_arr)])
    if a_arr.size < 2 or b_arr.size < 2:
        return None
    sa, sb = percentile(a_arr, stat, presorted=True), percentile(b_arr, stat, presorted=True)
    assert sa is not None and sb is not None
    if stat == "mean":
        va, vb = a_arr.var(ddof=1) / a_arr.size, b_arr.var(ddof=1) / b_arr.size
        se = float(np.sqrt(va + vb))
        df = (va + vb) ** 2 / (va**2 / (a_arr.size - 1) + vb**2 / (b_arr.size - 1)) if se else 1
        half = _t_quantile(float(df), confidence) * se
        return sb - sa, sb - sa - half, sb - sa + half
    rng = np.random.default_rng(_UNPAIRED_STREAM)
    draws = max(n_boot, UNPAIRED_DRAWS)
    boots = bootstrap_stat_draws(b_arr, stat, draws, rng, presorted=True) - bootstrap_stat_draws(
        a_arr, stat, draws, rng, presorted=True
    )
    tail = 50.0 * (1.0 - confidence)
    lo, hi = np.percentile(boots, [tail, 100.0 - tail])
    return sb - sa, float(lo), float(hi)


def _wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def proportion_delta_ci(
    k_a: int, n_a: int, k_b: int, n_b: int, confidence: float = 0.95
) -> tuple[float, float, float] | None:
    """Difference of two rates ``k_b/n_b − k_a/n_a`` with Newcombe's 95 % hybrid score CI
    (``confidence``: another level).

    Used for error rates: well behaved at 0 % and with few errors, where a normal interval is
    not. None when either side has no requests.
    """
    if n_a == 0 or n_b == 0:
        return None
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    pa, pb = k_a / n_a, k_b / n_b
    la, ua = _wilson(k_a, n_a, z)
    lb, ub = _wilson(k_b, n_b, z)
    d = pb - pa
    lo = d - float(np.sqrt((pb - lb) ** 2 + (ua - pa) ** 2))
    hi = d + float(np.sqrt((ub - pb) ** 2 + (pa - la) ** 2))
    return d, lo, hi
