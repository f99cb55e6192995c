"""Per-second windows of a run: counts, in-flight, tokens/s and TTFT percentiles per window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sre_latency.core.contract import Sample, SampleError
from sre_latency.core.timeseries import target_windows

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def sample(start_s: float, total_ms: float, ttft_ms: float | None = 100.0, tokens: int = 10,
           error: str | None = None) -> Sample:  # fmt: skip
    return Sample(
        seq=0, round=0, started_at=T0 + timedelta(seconds=start_s), total_ms=total_ms,
        ttft_ms=None if error else ttft_ms, output_tokens=None if error else tokens,
        error=SampleError(**{"class": error}) if error else None,
    )  # fmt: skip


def test_windows_count_starts_and_ends_and_spread_tokens_over_generation():
    # one request from 0.5 s to 2.5 s, first token at 0.5 + 0.5 = 1.0 s: 30 tokens over 1.5 s
    window_s, series = target_windows({"a": [sample(0.5, 2000, ttft_ms=500, tokens=30)]}, T0)
    assert window_s == 1.0
    w = series["a"]
    assert [x.t_s for x in w] == [0.0, 1.0, 2.0]
    assert [x.started for x in w] == [1, 0, 0]
    assert [x.finished for x in w] == [0, 0, 1]
    assert [x.in_flight_mean for x in w] == pytest.approx([0.5, 1.0, 0.5])
    assert [x.output_tokens_per_s for x in w] == pytest.approx([0.0, 20.0, 10.0])
    assert sum(x.output_tokens_per_s for x in w) == pytest.approx(30)


def test_ttft_percentiles_cover_the_requests_started_in_each_window_with_their_n():
    samples = [sample(0.1 * i, 200, ttft_ms=100 + i) for i in range(10)]  # all start in 0..1 s
    samples += [sample(1.5, 200, ttft_ms=900)]
    _, series = target_windows({"a": samples}, T0)
    first, second = series["a"][0], series["a"][1]
    assert (first.ttft_n, first.ttft_p50_ms) == (10, pytest.approx(104.5))
    assert first.ttft_p99_ms == pytest.approx(108.91)
    assert (second.ttft_n, second.ttft_p50_ms, second.ttft_p99_ms) == (1, 900, 900)


def test_errors_count_by_class_in_the_window_they_ended_in_and_never_in_ttft():
    samples = [sample(0.2, 1000, error="rate_limit"), sample(0.3, 100, error="timeout"),
               sample(0.4, 100)]  # fmt: skip
    _, series = target_windows({"a": samples}, T0)
    assert series["a"][0].errors_by_class == {"timeout": 1}
    assert series["a"][1].errors_by_class == {"rate_limit": 1}
    assert series["a"][0].ttft_n == 1


def test_every_target_gets_the_same_windows_so_plots_line_up():
    _, series = target_windows({"a": [sample(0.1, 100)], "b": [sample(3.2, 100)]}, T0)
    assert [w.t_s for w in series["a"]] == [w.t_s for w in series["b"]] == [0, 1, 2, 3]
    assert [w.started for w in series["b"]] == [0, 0, 0, 1]


def test_window_percentiles_are_numpys_linear_percentiles_of_each_windows_requests():
    # starts in random order over 40 windows (some empty, some with one request): every
    # window's p50/p99 is what np.percentile gives for exactly the requests started in it
    import numpy as np

    rng = np.random.default_rng(7)
    starts = rng.choice(np.arange(0, 40, 0.25), size=300) + rng.random(300) * 0.2
    ttfts = rng.lognormal(5, 0.6, 300)
    samples = [sample(float(s), 50, ttft_ms=float(t)) for s, t in zip(starts, ttfts, strict=True)]
    _, series = target_windows({"a": samples}, T0)
    for window in series["a"]:
        mine = ttfts[(starts >= window.t_s) & (starts < window.t_s + 1)]
        assert window.ttft_n == mine.size
        if mine.size:
            p50, p99 = np.percentile(mine, [50, 99])
            assert (window.ttft_p50_ms, window.ttft_p99_ms) == (
                pytest.approx(p50),
                pytest.approx(p99),
            )
        else:
            assert window.ttft_p50_ms is None and window.ttft_p99_ms is None
