"""The bootstrap behind compare: exact order-statistic draws, honest coverage, seeded results."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sre_latency.core.stats import (
    bootstrap_stat_draws,
    percentile,
    proportion_delta_ci,
    unpaired_delta_ci,
)

finite = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=300), st.sampled_from(["p50", "p90", "p99", "p75.5"]))
def test_percentile_matches_numpy_linear_interpolation(values, stat):
    assert np.isclose(percentile(np.array(values), stat), np.percentile(values, float(stat[1:])))


@given(st.lists(finite, min_size=2, max_size=100))
def test_percentile_ignores_missing_values(values):
    with_gaps = np.array([*values, np.nan, np.nan])
    assert percentile(with_gaps, "p50") == percentile(np.array(values), "p50")
    assert percentile(with_gaps, "mean") == pytest.approx(np.mean(values))


def test_percentile_of_nothing_is_none():
    assert percentile(np.array([np.nan]), "p99") is None


@pytest.mark.parametrize("stat", ["p50", "p90", "p99"])
def test_order_statistic_draws_match_brute_force_resampling(stat):
    rng = np.random.default_rng(7)
    x = rng.lognormal(6, 0.5, size=41)
    exact = bootstrap_stat_draws(x, stat, 100_000, np.random.default_rng(1))
    idx = np.random.default_rng(2).integers(0, x.size, size=(100_000, x.size))
    brute = np.percentile(x[idx], float(stat[1:]), axis=1)
    grid = np.unique(np.concatenate([exact, brute]))
    ecdf_exact = np.searchsorted(np.sort(exact), grid, side="right") / exact.size
    ecdf_brute = np.searchsorted(np.sort(brute), grid, side="right") / brute.size
    assert np.abs(ecdf_exact - ecdf_brute).max() < 0.015  # two-sample KS distance


@given(st.lists(finite, min_size=2, max_size=50), st.integers(0, 2**32 - 1))
@settings(max_examples=50)
def test_bootstrap_draws_stay_within_the_data(values, seed):
    x = np.array(values)
    for stat in ("p50", "p99", "mean"):
        draws = bootstrap_stat_draws(x, stat, 200, np.random.default_rng(seed))
        assert draws.min() >= x.min() - 1e-6 * (1 + abs(x.min()))
        assert draws.max() <= x.max() + 1e-6 * (1 + abs(x.max()))


def test_unpaired_ci_is_reproducible_with_a_seed():
    rng = np.random.default_rng(3)
    a, b = rng.normal(500, 50, 200), rng.normal(520, 50, 200)
    assert unpaired_delta_ci(a, b, seed=11) == unpaired_delta_ci(a, b, seed=11)


def test_unpaired_ci_needs_two_values_per_side():
    assert unpaired_delta_ci([1.0], [2.0, 3.0]) is None
    assert unpaired_delta_ci([1.0, np.nan], [2.0, 3.0]) is None


@pytest.mark.parametrize("stat", ["p50", "p90"])
def test_unpaired_ci_covers_the_true_difference_at_about_its_nominal_rate(stat):
    """In 300 simulated pairs of runs the 95 % CI holds the true difference ~95 % of the time."""
    true_delta = 40.0  # both are normal with the same spread: every quantile moves by 40
    rng = np.random.default_rng(2024)
    hits = 0
    reps = 300
    for i in range(reps):
        a = rng.normal(500, 60, 150)
        b = rng.normal(500 + true_delta, 60, 200)
        _, lo, hi = unpaired_delta_ci(a, b, stat, n_boot=1000, seed=i)
        hits += lo <= true_delta <= hi
    assert 0.88 <= hits / reps <= 0.99


def test_unpaired_ci_scales_to_a_million_samples():
    rng = np.random.default_rng(5)
    a, b = rng.exponential(400, 1_000_000), rng.exponential(400, 1_000_000) + 3.0
    delta, lo, hi = unpaired_delta_ci(a, b, "p99")
    assert lo < delta < hi
    assert hi - lo < 0.05 * np.percentile(a, 99)


def test_proportion_ci_of_equal_rates_contains_zero_and_of_a_jump_excludes_it():
    _, lo, hi = proportion_delta_ci(2, 200, 3, 200)
    assert lo < 0 < hi
    d, lo, hi = proportion_delta_ci(0, 200, 30, 200)
    assert d == pytest.approx(0.15) and lo > 0
    assert proportion_delta_ci(0, 0, 1, 10) is None


def test_proportion_ci_covers_the_true_difference_at_about_its_nominal_rate():
    rng = np.random.default_rng(9)
    reps, hits = 2000, 0
    for _ in range(reps):
        ka, kb = rng.binomial(120, 0.02), rng.binomial(150, 0.06)
        _, lo, hi = proportion_delta_ci(int(ka), 120, int(kb), 150)
        hits += lo <= 0.04 <= hi
    assert 0.90 <= hits / reps <= 0.99
