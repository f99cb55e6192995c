"""When a difference between two runs counts as a finding: the tests ``compare`` runs as one family.

Two runs of the same profile differ by chance on every statistic; testing p50 and p99 of three
metrics and the error rate per target, each at 95 %, flags *something* in about one compare in
five. So:

- **Bonferroni across the family.** Every test one ``compare`` call makes is done at confidence
  ``1 − 0.05 / m`` (m = the tests in the family), so the intervals shown are simultaneous 95 %
  intervals and the chance that a same-profile compare flags anything stays ≤ 5 %. Bonferroni
  needs no assumption about how the tests depend on each other (TTFT and total time are
  strongly correlated); it costs some power, which the minimum change keeps from mattering.
- **No test where an interval cannot exist.** A distribution-free 95 % interval for the
  q-quantile needs ``q^n ≤ 2.5 %`` and ``(1 − q)^n ≤ 2.5 %``: below that no order statistic
  bounds it (for p99, n ≥ 368; p50 needs 6). Below that n the quantile is reported, not tested,
  and the result says why; a bootstrap interval there excludes zero by accident (11–12 % of
  same-distribution pairs at n = 30 for p99).
- **No test that cannot fail.** An error-rate test between two runs with no error at all cannot
  reject at any level; leaving such tests out of m (Tarone's rule for discrete tests) keeps the
  correction no stricter than it has to be.
"""

from __future__ import annotations

import math

FAMILY_CONFIDENCE = 0.95
_TAIL_DRAWS = 20  # bootstrap draws wanted beyond each bound of a corrected interval
_MAX_DRAWS = 20_000


def min_n_for_quantile(q: float, confidence: float = FAMILY_CONFIDENCE) -> int:
    """The smallest n at which a distribution-free two-sided interval for the ``q`` quantile
    (0 < q < 1) exists: both ``q^n`` and ``(1 − q)^n`` at most ``(1 − confidence) / 2``."""
    tail = (1.0 - confidence) / 2.0
    worst = max(q, 1.0 - q)
    return math.ceil(math.log(tail) / math.log(worst))


def quantile_of(stat: str) -> float | None:
    """``"p99"`` → 0.99; None for statistics that are not quantiles (``mean``)."""
    if stat.startswith("p"):
        return float(stat[1:]) / 100.0
    return None


def untestable_reason(stat: str, n_a: int, n_b: int) -> str | None:
    """Why ``stat`` cannot be tested between samples of sizes ``n_a`` and ``n_b`` (None: it can)."""
    if min(n_a, n_b) < 2:
        return "fewer than 2 successful samples in a run"
    q = quantile_of(stat)
    if q is None or q in (0.0, 1.0):
        return None
    need = min_n_for_quantile(q)
    if min(n_a, n_b) < need:
        return f"{stat} needs n ≥ {need} in each run for a 95 % interval (n={n_a} and {n_b})"
    return None


def per_test_confidence(tests: int, family: float = FAMILY_CONFIDENCE) -> float:
    """Bonferroni: the confidence of each of ``tests`` intervals for simultaneous ``family``."""
    return 1.0 - (1.0 - family) / max(tests, 1)


def bootstrap_draws(confidence: float, minimum: int = 4000) -> int:
    """Enough bootstrap draws that each bound of a ``confidence`` interval has ~20 beyond it
    (at most 20,000: a family of 50 tests)."""
    tail = (1.0 - confidence) / 2.0
    return min(max(minimum, math.ceil(_TAIL_DRAWS / tail)), _MAX_DRAWS)
