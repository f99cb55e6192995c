"""Confidence intervals that a rerun prints the same: no seed moves a bound, coverage stays honest."""

from __future__ import annotations

import numpy as np
import pytest

from sre_latency.core.contract import Run
from sre_latency.core.paired import compare_targets
from sre_latency.core.stats import paired_delta_ci, quantile_bounds, unpaired_delta_ci


def test_the_median_of_20_is_bounded_by_the_6th_and_15th_values_as_the_binomial_tables_say():
    lo, hi, coverage = quantile_bounds(20, 0.5)
    assert (lo + 1, hi + 1) == (6, 15)
    assert coverage == pytest.approx(0.9586, abs=1e-4)


@pytest.mark.parametrize("stat", ["p50", "p90", "mean"])
def test_paired_bounds_do_not_move_with_the_seed(stat):
    rng = np.random.default_rng(4)
    a = rng.lognormal(5, 0.4, 20)
    b = a + rng.lognormal(3, 0.6, 20)  # few pairs, skewed: where a resampled bound jumped most
    intervals = {paired_delta_ci(a, b, stat, seed=seed) for seed in range(30)}
    assert len(intervals) == 1


@pytest.mark.parametrize("stat", ["p50", "p99", "mean"])
def test_unpaired_bounds_do_not_move_with_the_seed(stat):
    rng = np.random.default_rng(8)
    a, b = rng.lognormal(5, 0.4, 25), rng.lognormal(5.1, 0.4, 40)
    intervals = {unpaired_delta_ci(a, b, stat, seed=seed) for seed in range(30)}
    assert len(intervals) == 1


def test_a_recorded_runs_comparisons_are_the_same_whatever_the_run_seed(base):
    run = Run.model_validate_json(base.read_text())
    first = compare_targets(run, seed=1)
    assert first and first == compare_targets(run, seed=987_654)


@pytest.mark.parametrize("stat", ["p50", "p90"])
def test_the_paired_interval_covers_the_true_difference_at_least_at_its_nominal_rate(stat):
    rng = np.random.default_rng(2025)
    reps, hits = 600, 0
    true_delta = 30.0 + (1.2816 * 12.0 if stat == "p90" else 0.0)  # diff ~ N(30, 12)
    for _ in range(reps):
        a = rng.normal(500, 50, 40)
        b = a + rng.normal(30, 12, 40)
        _, lo, hi = paired_delta_ci(a, b, stat)
        hits += lo <= true_delta <= hi
    assert 0.93 <= hits / reps <= 0.995


def test_a_tiny_sample_gives_a_wide_but_finite_interval_for_a_high_percentile():
    delta, lo, hi = unpaired_delta_ci([100.0, 120.0], [110.0, 150.0], "p99")
    assert np.isfinite(lo) and np.isfinite(hi)
    assert lo < delta < hi
    assert hi - lo > 50.0  # two values say almost nothing about a p99
