"""The rolling window, the good-request rule and the status sentence a person reads."""

from __future__ import annotations

from datetime import UTC, datetime

from sre_latency.core.contract import ITL, Sample, SampleError
from sre_latency.monitor.observation import is_good, observe
from sre_latency.monitor.window import RollingWindow

T0 = 1_800_000_000.0


def _sample(at_s: float, ttft_ms: float | None = 300.0, error: str | None = None) -> Sample:
    return Sample(
        seq=0, round=0, started_at=datetime.fromtimestamp(at_s, UTC), ttft_ms=ttft_ms,
        total_ms=900.0, itl_ms=ITL(n=3, mean=12.0),
        error=SampleError.model_validate({"class": error, "message": "x"}) if error else None,
    )  # fmt: skip


def _obs(at_s: float, target: str = "bedrock", **kw):
    goodput = {"ttft_ms": 2500.0, "total_ms": 5000.0}
    return observe(target, target, "m", "eu-office", _sample(at_s, **kw), goodput)


def test_a_request_is_good_only_without_error_and_within_every_goodput_bound():
    bounds = {"ttft_ms": 2500.0, "output_tps": 40.0}
    fast = _sample(T0).model_copy(update={"output_tps": 50.0})
    assert is_good(fast, bounds)
    assert not is_good(fast.model_copy(update={"ttft_ms": 2600.0}), bounds)
    assert not is_good(fast.model_copy(update={"output_tps": 30.0}), bounds)  # higher is better
    assert not is_good(fast.model_copy(update={"output_tps": None}), bounds)  # missing: not met
    assert not is_good(_sample(T0, error="rate_limit"), {})


def test_the_window_forgets_requests_older_than_its_span_and_tracks_compliance():
    window = RollingWindow(span_s=60, objective=0.99)
    assert window.add(_obs(T0), now_s=T0) == 1.0
    assert window.add(_obs(T0 + 1, error="server"), now_s=T0 + 1) == 0.5
    assert window.add(_obs(T0 + 2, ttft_ms=3000.0), now_s=T0 + 2) == 1 / 3  # too slow: not good
    assert window.add(_obs(T0 + 62), now_s=T0 + 62) == 0.5  # the first two left the window
    assert len(window) == 2


def test_status_says_per_target_what_was_seen_with_its_n_and_the_last_success():
    window = RollingWindow(span_s=3600, objective=0.99)
    for i in range(9):
        window.add(_obs(T0 + i), now_s=T0 + i)
    window.add(_obs(T0 + 9, error="rate_limit"), now_s=T0 + 9)
    window.add(_obs(T0 + 9, target="anthropic"), now_s=T0 + 9)
    status = window.status(provider="bedrock", now_s=T0 + 20)
    (row,) = status.targets
    assert (row.target, row.n, row.ok, row.errors_by_class) == ("bedrock", 10, 9, {"rate_limit": 1})
    assert row.ttft_p50_ms == 300.0 and row.compliance == 0.9
    assert row.last_success_at.timestamp() == T0 + 8 + 0.9
    assert status.summary == (
        "bedrock from eu-office: 10 requests in the last 1h, 1 errors (rate_limit 1), TTFT p50 "
        "300 ms p99 300 ms (n=9), 90.0 % good (objective 99 %), last success 11 s ago."
    )
