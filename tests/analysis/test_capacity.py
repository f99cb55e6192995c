"""The capacity search's logic: what a step needs, when it holds, when its breach is certain,
where the search goes next, and the sentence it ends with."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sre_latency.analysis.capacity import BreachWatch, judge, parse_criterion
from sre_latency.analysis.capacity_search import CapacitySearch
from sre_latency.core.contract import Sample, SampleError
from sre_latency.errors import ConfigError

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def sample(ttft_ms: float | None = 100.0, error: str | None = None) -> Sample:
    err = SampleError(**{"class": error}) if error else None
    return Sample(seq=0, round=0, started_at=T0, ttft_ms=None if error else ttft_ms,
                  total_ms=ttft_ms, error=err)  # fmt: skip


@pytest.mark.parametrize(
    ("slo", "goodput", "needed"),
    [("ttft_ms p99 < 2000", None, 300), ("ttft_ms p95 < 900", None, 60),
     ("ttft_ms p50 < 500", None, 20), ("ttft_ms p90 < 900, error_rate < 1%", 0.99, 300)],
)  # fmt: skip
def test_a_step_is_long_enough_for_its_highest_percentile(slo, goodput, needed):
    criterion = parse_criterion(slo, goodput)
    assert criterion.samples_needed() == needed
    assert str(needed) in criterion.why_n() and "three" in criterion.why_n()


def test_an_slo_file_gives_its_thresholds_and_its_goodput_bounds(tmp_path):
    path = tmp_path / "slo.toml"
    path.write_text('thresholds = ["ttft_ms p95 < 700"]\n[goodput]\nttft_ms = 900\n')
    criterion = parse_criterion(str(path), 0.95)
    assert [t.expression for t in criterion.thresholds] == ["ttft_ms p95 < 700"]
    assert criterion.goodput_slo == {"ttft_ms": 900.0}
    path.write_text("[goodput]\nttft_ms = 900\n")
    with pytest.raises(ConfigError, match="lists no thresholds"):
        parse_criterion(str(path))


@pytest.mark.parametrize("slo", ["ttft_ms p99 > 2000", "ttft p99 < 2", "", "fast please"])
def test_an_slo_the_search_cannot_use_is_one_sentence(slo):
    with pytest.raises(ConfigError):
        parse_criterion(slo)


def test_failed_requests_count_as_infinitely_slow_so_timeouts_cannot_pass_a_p99():
    criterion = parse_criterion("ttft_ms p99 < 2000")
    fast = [sample(100.0) for _ in range(97)] + [sample(error="timeout") for _ in range(3)]
    verdict = judge(16, {"gw": fast}, criterion)
    assert not verdict.holds
    assert verdict.evidence == "TTFT p99 is ∞ (failed requests) and 3 % time out"
    ok = judge(8, {"gw": [sample(100.0 + i) for i in range(100)]}, criterion)
    assert ok.holds and ok.clear and ok.evidence == "TTFT p99 198 ms"  # 100 … 199 ms


@settings(max_examples=200, deadline=None)
@given(n=st.integers(20, 600), q=st.sampled_from([50.0, 90.0, 95.0, 99.0]), data=st.data())
def test_a_breach_called_certain_is_a_breach_whatever_the_rest_of_the_step_does(n, q, data):
    criterion = parse_criterion(f"ttft_ms p{q:g} < 1000")
    watch = BreachWatch(criterion, n)
    slow = 0
    while not watch.see("gw", sample(5000.0)):
        slow += 1
    rest = data.draw(st.lists(st.floats(0, 999), min_size=n - slow - 1, max_size=n - slow - 1))
    values = np.array([5000.0] * (slow + 1) + rest)
    assert np.percentile(values, q) >= 1000  # the step was bound to fail
    one_fewer = np.array([1000.0] * slow + [0.0] * (n - slow))  # misses just at the bound
    assert np.percentile(one_fewer, q) < 1000  # one request earlier, it could still hold


def _search(truth: float, **kw) -> CapacitySearch:
    """Run the search against a load that holds exactly up to ``truth``."""
    criterion = parse_criterion("ttft_ms p99 < 2000")
    search = CapacitySearch(**kw)
    while (load := search.next()) is not None:
        ttft = 100.0 if load <= truth else 5000.0
        search.record(judge(load, {"gw": [sample(ttft) for _ in range(300)]}, criterion))
    return search


def test_the_search_doubles_to_the_first_breach_then_bisects_to_its_resolution():
    search = _search(14.0, start=1.0, maximum=256.0, resolution=0.1)
    loads = [v.offered for v in search.history]
    assert loads[:5] == [1, 2, 4, 8, 16]  # doubling until the first breach
    assert search.lo <= 14 < search.hi and search.hi <= search.lo * 1.1
    assert search.answer().startswith(
        f"sustains {search.lo:g} req/s [{search.lo:g}, {search.hi:g}]"
    )
    assert f"at {search.hi:g} req/s TTFT p99 is 5.00 s" in search.answer()


def test_when_even_the_start_breaks_the_search_halves_and_says_so():
    search = _search(3.0, start=16.0, maximum=256.0)
    assert [v.offered for v in search.history][:3] == [16, 8, 4]
    assert search.lo <= 3 < search.hi
    never = _search(0.001, start=1.0, maximum=8.0)
    assert never.lo is None and never.answer().startswith("does not meet the SLO even at")


def test_a_load_that_holds_at_the_maximum_is_reported_as_at_least_that():
    search = _search(1000.0, start=4.0, maximum=20.0)
    assert [v.offered for v in search.history] == [4, 8, 16, 20]
    assert search.answer().startswith("sustains at least 20 req/s, the most it tried")


def test_a_concurrency_search_steps_in_whole_workers():
    search = _search(13.0, start=1.0, maximum=64.0, integer=True, unit="concurrent requests")
    assert all(float(v.offered).is_integer() for v in search.history)
    assert (search.lo, search.hi) == (13, 14)
