"""Open-loop arrival processes: the law they promise, seeded, planned in full before the clock."""

from __future__ import annotations

import numpy as np
import pytest

from sre_latency.errors import ConfigError
from sre_latency.probe.arrivals import RateArrivals, make_arrivals, parse_arrival


def _gaps(arrivals: RateArrivals, count: int) -> np.ndarray:
    return np.diff(np.asarray(arrivals.offsets_ns(count), dtype=float)) / 1e9


def test_constant_arrivals_are_evenly_spaced_from_zero():
    offsets = make_arrivals("constant", 4.0, seed=1).offsets_ns(5)
    assert offsets == [0, 250_000_000, 500_000_000, 750_000_000, 1_000_000_000]


@pytest.mark.parametrize(
    ("spec", "cv"), [("poisson", 1.0), ("gamma:4", 0.5), ("gamma:0.25", 2.0), ("gamma", 0.5)]
)
def test_each_process_has_the_mean_rate_and_variability_it_promises(spec, cv):
    gaps = _gaps(make_arrivals(spec, 50.0, seed=7), 40_000)
    assert gaps.mean() == pytest.approx(1 / 50.0, rel=0.03)
    assert gaps.std() / gaps.mean() == pytest.approx(cv, rel=0.05)


def test_the_same_seed_plans_the_same_arrivals_and_another_seed_others():
    a = make_arrivals("poisson", 10.0, seed=3).offsets_ns(100)
    assert a == make_arrivals("poisson", 10.0, seed=3).offsets_ns(100)
    assert a != make_arrivals("poisson", 10.0, seed=4).offsets_ns(100)


def test_a_duration_plans_the_arrivals_that_fall_inside_it():
    arrivals = make_arrivals("constant", 10.0, seed=0)
    assert arrivals.count_within(2.0) == 20  # 0.0, 0.1, … 1.9
    poisson = make_arrivals("poisson", 10.0, seed=5)
    count = poisson.count_within(30.0)
    offsets = poisson.offsets_ns(count + 1)
    assert offsets[count - 1] < 30e9 <= offsets[count]


@pytest.mark.parametrize("spec", ["uniform", "poisson:2", "gamma:0", "gamma:x", "gamma:-1"])
def test_a_bad_arrival_is_one_sentence(spec):
    with pytest.raises(ConfigError, match=r"\.$"):
        parse_arrival(spec)
