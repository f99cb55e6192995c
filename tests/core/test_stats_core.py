"""Summaries follow numpy's linear percentiles and keep error samples out of timings."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sre_latency.core.contract import Sample, SampleError
from sre_latency.core.stats import dist, paired_delta_ci, summarize

finite = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=200))
def test_dist_matches_numpy_linear_percentiles(values):
    d = dist(values)
    arr = np.array(values)
    assert d.n == len(values)
    for p in (50, 90, 95, 99):
        assert np.isclose(getattr(d, f"p{p}"), np.percentile(arr, p))
    assert d.min <= d.p50 <= d.p99 <= d.max


def test_dist_of_nothing_is_none():
    assert dist([]) is None
    assert dist([float("nan")]) is None


def test_errors_count_in_the_rate_but_not_in_timings():
    t = datetime(2026, 1, 1, tzinfo=UTC)
    ok = [Sample(seq=i, round=i, started_at=t, ttft_ms=100.0) for i in range(3)]
    bad = Sample(
        seq=3,
        round=3,
        started_at=t,
        ttft_ms=9999.0,
        error=SampleError.model_validate({"class": "timeout"}),
    )
    s = summarize([*ok, bad])
    assert (s.n, s.ok, s.errors, s.error_rate) == (4, 3, 1, 0.25)
    assert s.ttft_ms.max == 100.0 and s.ttft_ms.n == 3
    assert s.errors_by_class == {"timeout": 1}
    assert s.total_ms is None


def test_paired_ci_recovers_a_known_gap_and_is_reproducible():
    rng = np.random.default_rng(1)
    a = rng.normal(500, 40, 60)
    b = a + 350 + rng.normal(0, 2, 60)
    delta, lo, hi = paired_delta_ci(a, b)
    assert lo <= 350 <= hi and abs(delta - 350) < 5
    assert paired_delta_ci(a, b) == (delta, lo, hi)
    assert paired_delta_ci([1.0], [2.0]) is None
