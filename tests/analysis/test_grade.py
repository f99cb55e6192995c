"""grade on real emulator runs: letters, worst-metric overall, F without success, gates, goodput."""

from __future__ import annotations

import json
import shutil

import pytest

from recorded import recorded_run
from sre_latency.analysis.grade import grade
from sre_latency.cli import main
from sre_latency.errors import ConfigError
from sre_latency.store import load_run_file


def _counts(path, label):
    s = load_run_file(path).providers[label].summary
    return s.n, s.errors


def test_each_provider_gets_a_letter_per_metric_and_the_worst_one_overall(faulty):
    result = grade(faulty)
    assert [p.label for p in result.providers] == ["anthropic", "openai"]
    order = "ABCDF"
    for p in result.providers:
        letters = [m.grade for m in p.metrics if m.grade]
        assert p.grade == max(letters, key=order.index)
    assert result.grade == max((p.grade for p in result.providers), key=order.index)


def test_the_error_rate_grade_uses_the_error_count_in_the_run_file(faulty):
    result = grade(faulty)
    for p in result.providers:
        n, errors = _counts(faulty, p.label)
        rate = next(m for m in p.metrics if m.metric == "error_rate")
        assert rate.value == pytest.approx(errors / n)
        expected = "A" if errors == 0 else "B" if errors / n <= 0.01 else None
        if errors / n > 0.10:
            expected = "F"
        if expected:
            assert rate.grade == expected


def test_a_clean_fast_run_grades_a_everywhere(base):
    result = grade(base)
    assert result.grade == "A"
    assert all(m.grade == "A" for p in result.providers for m in p.metrics)
    assert result.complete and "Grade A overall" in result.summary


def test_a_provider_with_no_successful_sample_is_f_never_a(tmp_path_factory):
    result = grade(recorded_run("dead", tmp_path_factory))
    (p,) = result.providers
    assert p.ok == 0 and p.grade == "F"
    assert p.grade_reason == "no successful sample"
    ttft = next(m for m in p.metrics if m.metric == "ttft_ms p50")
    assert ttft.grade is None and ttft.not_graded_reason == "no successful sample"


def test_a_metric_the_run_lacks_is_not_graded_and_says_why(base, tmp_path):
    slo = tmp_path / "slo.toml"
    slo.write_text("[grades]\nserver_latency_ms.p50 = [100, 200, 300, 400]\n")
    result = grade(base, slo=slo)
    m = next(m for m in result.providers[0].metrics if m.metric == "server_latency_ms p50")
    assert m.grade is None
    assert m.not_graded_reason == "no successful sample carries server_latency_ms"
    assert result.providers[0].grade == "A"  # the others still grade


def test_fewer_than_20_samples_warn_that_p99_is_not_meaningful(tmp_path_factory):
    result = grade(recorded_run("partial", tmp_path_factory))
    assert not result.complete
    assert "incomplete" in result.notes[0] and "run incomplete" in result.summary
    for p in result.providers:
        assert any(f"p99 is not meaningful at n={p.ok}" in w for w in p.warnings)
        p99 = next(m for m in p.metrics if m.metric == "ttft_ms p99")
        assert p99.warning == f"p99 is not meaningful at n={p.ok}"


def test_goodput_is_the_share_of_all_requests_meeting_every_per_request_slo(faulty, tmp_path):
    result = grade(faulty)
    for p in result.providers:
        n, errors = _counts(faulty, p.label)
        assert p.goodput.goodput == pytest.approx((n - errors) / n)  # every success is fast
    slo = tmp_path / "slo.toml"
    slo.write_text("[goodput]\nttft_ms = 15\n")  # openai carries a known extra 20 ms
    tight = {p.label: p.goodput for p in grade(faulty, slo=slo).providers}
    assert tight["openai"].goodput == 0.0
    n, errors = _counts(faulty, "anthropic")
    assert tight["anthropic"].goodput == pytest.approx((n - errors) / n)


def test_thresholds_pass_and_fail_per_provider(base):
    result = grade(base, thresholds=["ttft_ms p95 < 500", "ttft_ms p50 < 40"])
    by = {p.label: [t.passed for t in p.thresholds] for p in result.providers}
    assert by == {"anthropic": [True, True], "openai": [True, False]}  # openai: 30 + 20 ms
    assert not result.thresholds_passed


def test_each_threshold_carries_the_unit_and_n_of_its_value(faulty):
    result = grade(faulty, thresholds=["ttft_ms p95 < 500", "error_rate < 1%"])
    for p in result.providers:
        latency, errors = p.thresholds
        assert (latency.unit, latency.n) == ("ms", p.ok)  # over successful samples
        assert (errors.unit, errors.n) == ("fraction", p.n)  # over every request


def test_fail_below_exits_1_when_a_provider_grades_below_and_0_otherwise(faulty, base, capsys):
    assert main(["grade", str(faulty), "--fail-below", "B"]) == 1
    assert main(["grade", str(base), "--fail-below", "A"]) == 0
    assert "Grade A overall" in capsys.readouterr().out


def test_a_failing_threshold_exits_1_from_the_cli(base):
    assert main(["grade", str(base), "--threshold", "ttft_ms p50 < 1"]) == 1


def test_grade_json_is_the_result_model(base, capsys):
    assert main(["grade", str(base), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["grade"] == "A" and data["complete"] is True
    assert {m["metric"] for m in data["providers"][0]["metrics"]} >= {"ttft_ms p50", "error_rate"}


def test_grade_finds_the_latest_run_and_a_run_by_id_under_the_results_root(base, monkeypatch):
    import os
    from pathlib import Path

    runs = Path(os.environ["SRE_LATENCY_HOME"]) / "runs"
    runs.mkdir(parents=True)
    shutil.copy(base, runs / "20990101T000000Z-benchmark-beef.json")
    run_id = load_run_file(base).run_id
    assert grade().run_id == run_id
    assert grade("20990101T000000Z-benchmark-beef").run_id == run_id


def test_a_bad_slo_file_exits_2_with_the_line(base, tmp_path, capsys):
    slo = tmp_path / "slo.toml"
    slo.write_text("[grades]\nttft.p50 = [1, 2, 3, 4]\n")
    assert main(["grade", str(base), "--slo", str(slo)]) == 2
    assert "line 2: unknown metric 'ttft'" in capsys.readouterr().err


def test_an_unknown_fail_below_grade_is_refused(base):
    with pytest.raises(ConfigError, match="--fail-below"):
        grade(base, fail_below="E")
