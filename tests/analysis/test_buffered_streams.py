"""A stream a server or proxy buffered is named, never graded or reported as a throughput."""

from __future__ import annotations

from sre_latency.analysis.columns import load_run_columns
from sre_latency.analysis.grade import grade
from sre_latency.analysis.report.build import build_report
from sre_latency.analysis.report.text import markdown
from sre_latency.store import load_run_file
from sre_latency.tools.benchmark import benchmark_result

BUFFERED = "stream buffered by the server or a proxy"


def test_a_buffered_run_records_no_throughput_and_counts_its_buffered_samples(buffered):
    run = load_run_file(buffered)
    for result in run.providers.values():
        assert result.summary.buffered == result.summary.ok == 20
        assert result.summary.output_tps is None and result.summary.itl_ms is None
        assert all(s.buffered and s.output_tps is None for s in result.samples)


def test_grade_says_the_stream_was_buffered_instead_of_grading_its_throughput(buffered):
    result = grade(buffered)
    for p in result.providers:
        tps = next(m for m in p.metrics if m.metric.startswith("output_tps"))
        assert tps.grade is None and tps.value is None
        assert tps.not_graded_reason == f"{BUFFERED} (n=20): no output_tps to grade"


def test_the_report_names_the_buffer_and_recommends_turning_it_off(buffered):
    report = build_report(load_run_columns(buffered))
    for t in report.targets:
        tps = next(m for m in t.metrics if m.metric == "output_tps")
        assert tps.note == f"{BUFFERED} (n=20)" and tps.mean is None
    text = markdown(report)
    assert f"| {BUFFERED} (n=20) |" in text
    assert any("proxy_buffering off" in r.text for r in report.recommendations)


def test_the_benchmark_summary_says_the_stream_was_buffered(buffered):
    result = benchmark_result(load_run_file(buffered), buffered, 40, 40)
    assert all(row.buffered == 20 and row.output_tps_mean is None for row in result.targets)
    assert BUFFERED in result.summary
