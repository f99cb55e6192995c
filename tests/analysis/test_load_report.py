"""The report's load view, read from recorded runs: throughput, steps, the time series."""

from __future__ import annotations

import json

import numpy as np
import pytest

from calls import report
from recorded import recorded_run
from sre_latency.analysis.columns import load_columns
from sre_latency.analysis.load import load_report, series_of
from sre_latency.cli import main
from sre_latency.core.slo import DEFAULT_GOODPUT


@pytest.fixture
def sweep(tmp_path_factory):
    """anthropic, emulator capacity 2 (~74 req/s), constant rate sweep 10, 40, 120 req/s."""
    return recorded_run("sweep", tmp_path_factory)


def test_throughput_is_requests_and_tokens_over_the_measured_span_per_target_and_overall(base):
    raw = json.loads(base.read_text())
    load = load_report(load_columns(base), DEFAULT_GOODPUT)
    rows = {t.label: t for t in load.throughput}
    assert set(rows) == {"anthropic", "openai", "all targets"}
    assert rows["all targets"].n == rows["anthropic"].n + rows["openai"].n == 40
    samples = raw["providers"]["openai"]["samples"]
    tokens = sum(s["output_tokens"] for s in samples if s["error"] is None)
    t = rows["openai"]
    assert t.output_tokens_per_s == pytest.approx(tokens / t.span_s)
    assert t.request_rate_per_s == pytest.approx(20 / t.span_s)
    assert t.goodput_per_s <= t.request_rate_per_s and t.good == 20  # 30 ms TTFT meets 2.5 s


def test_a_failed_request_is_never_goodput(faulty):
    rows = {t.label: t for t in load_report(load_columns(faulty), DEFAULT_GOODPUT).throughput}
    cols = load_columns(faulty)
    assert rows["anthropic"].good == cols.targets["anthropic"].n_ok
    assert rows["anthropic"].good < rows["anthropic"].n


def test_a_sweep_reads_as_latency_against_offered_load_per_step(sweep):
    load = load_report(load_columns(sweep), DEFAULT_GOODPUT)
    assert [(s.label, s.n) for s in load.steps] == [
        ("10 req/s", 40), ("40 req/s", 40), ("120 req/s", 40)
    ]  # fmt: skip
    low, mid, past = load.steps
    assert low.ttft_p99_ms < 60 and mid.ttft_p99_ms < 60  # below the ~74 req/s capacity
    assert past.ttft_p99_ms > 5 * low.ttft_p99_ms  # past it, the queue grows
    assert mid.achieved_rate_per_s == pytest.approx(40, rel=0.05)
    assert all(s.send_lag_p99_ms is not None for s in load.steps)


def test_the_report_draws_the_latency_throughput_curve_of_a_sweep(sweep, tmp_path, capsys):
    out = tmp_path / "sweep.html"
    report(sweep, format="html", output=out)
    html = out.read_text()
    assert 'alt="latency–throughput curve"' in html
    assert 'alt="latency over time with the request rate"' in html
    assert 'alt="watched processes beside latency"' in html  # the client watches itself
    assert main(["report", str(sweep), "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert "### Steps (latency against offered load)" in md and "| 120 req/s |" in md


def test_a_run_saved_without_windows_gets_them_rebuilt_from_its_samples(base):
    cols = load_columns(base)
    assert cols.timeseries is None  # recorded before runs stored their time series
    ts = series_of(cols)
    windows = ts.targets["anthropic"]
    assert sum(w.started for w in windows) == sum(w.finished for w in windows) == 20
    assert np.isclose(sum(w.ttft_n for w in windows), 20)
    # the load section names the windows the rebuilt series has, without building them twice
    load = load_report(cols, DEFAULT_GOODPUT)
    assert (load.window_s, load.windows) == (ts.window_s, len(windows))
