"""compare on real emulator runs: regressions only when the CI excludes zero and the change matters."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from calls import compare as compare_tool
from recorded import recorded_run
from sre_latency.analysis.compare import compare
from sre_latency.cli import main
from sre_latency.errors import ConfigError


def _delta(result, label, run_index, metric):
    run_id = result.runs[run_index].run_id
    target = next(t for t in result.targets if t.label == label)
    return next(d for d in target.deltas[run_id] if d.metric == metric)


def test_a_slower_run_is_flagged_as_a_ttft_regression_with_a_ci_that_excludes_zero(base, slow):
    result = compare([base, slow])
    for label in ("anthropic", "openai"):
        d = _delta(result, label, 1, "ttft_ms p50")
        assert d.regression and d.significant
        assert d.ci95_low > 0
        assert d.ci95_low <= d.delta <= d.ci95_high
        assert 20 < d.delta < 45  # the emulator's TTFT went from 30 to 60 ms
    assert any("ttft_ms p50" in r for r in result.regressions)
    assert "regression" in result.summary


def test_the_same_run_twice_shows_no_change_and_no_flag(base):
    result = compare([base, base])
    assert result.regressions == [] and result.improvements == []
    d = _delta(result, "anthropic", 1, "ttft_ms p50")
    assert d.delta == 0 and d.ci95_low <= 0 <= d.ci95_high and not d.significant


def test_a_change_smaller_than_min_change_pct_is_not_a_regression(base, tmp_path_factory):
    same = recorded_run("same", tmp_path_factory)  # same profile, another seed
    result = compare([base, same], min_change_pct=25)
    assert not [r for r in result.regressions if "ttft" in r or "total" in r]


def test_a_faster_run_is_an_improvement_not_a_regression(base, slow):
    result = compare([slow, base])
    d = _delta(result, "anthropic", 1, "ttft_ms p50")
    assert d.improvement and not d.regression


def test_a_provider_that_starts_failing_is_an_error_rate_regression(base, tmp_path_factory):
    dead = recorded_run("dead", tmp_path_factory)  # anthropic only, every request refused
    result = compare([base, dead])
    d = _delta(result, "anthropic", 1, "error_rate")
    assert d.baseline == 0 and d.value == 1 and d.ci95_low > 0 and d.regression
    assert any("openai is missing from" in n for n in result.notes)


def test_each_delta_carries_the_n_behind_both_of_its_figures(base, tmp_path_factory):
    dead = recorded_run("dead", tmp_path_factory)  # every request failed: no TTFT at all
    result = compare([base, dead])
    base_target = next(t for t in result.targets if t.label == "anthropic").runs[0]
    ttft, rate = _delta(result, "anthropic", 1, "ttft_ms p50"), _delta(result, "anthropic", 1,
                                                                      "error_rate")  # fmt: skip
    assert (ttft.baseline_n, ttft.n) == (base_target.ok, 0) and ttft.delta is None
    assert rate.baseline_n == base_target.n and rate.n > 0


def test_a_few_errors_in_a_small_run_are_not_called_a_regression_without_evidence():
    from sre_latency.core.stats import proportion_delta_ci

    _, lo, _ = proportion_delta_ci(0, 20, 2, 20)  # 0 % → 10 % over 20 requests: could be luck
    assert lo < 0


def test_side_by_side_figures_come_from_each_run(base, slow):
    result = compare([base, slow], metrics=["ttft_ms"])
    anthropic = next(t for t in result.targets if t.label == "anthropic")
    first, second = anthropic.runs
    assert first.metrics[0].p50 < second.metrics[0].p50
    assert first.metrics[0].p50 <= first.metrics[0].p90 <= first.metrics[0].p99
    assert first.error_rate == 0.0


def test_runs_from_different_environments_are_labelled(base, tmp_path):
    data = json.loads(base.read_text())
    data["environment"]["host"] = "laptop-in-frankfurt"
    data["environment"]["client_region"] = "eu-central-1"
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps(data))
    result = compare([base, elsewhere])
    assert result.environments_differ
    assert result.runs[1].environment == "laptop-in-frankfurt/eu-central-1"
    assert any("different environments" in n for n in result.notes)


def test_fewer_than_two_runs_is_nothing_to_compare(base, capsys):
    with pytest.raises(ConfigError, match="nothing to compare"):
        compare([base])
    assert main(["compare", str(base)]) == 2
    assert "nothing to compare" in capsys.readouterr().err


def test_runs_together_with_latest_are_refused_rather_than_silently_ignored(base, slow, capsys):
    with pytest.raises(ConfigError, match="not both"):
        compare_tool(runs=[base, slow], latest=2)
    assert main(["compare", str(base), str(slow), "--latest", "2"]) == 2
    assert "not both" in capsys.readouterr().err


def test_latest_n_compares_the_newest_runs_oldest_first(base, slow):
    runs = Path(os.environ["SRE_LATENCY_HOME"]) / "runs"
    runs.mkdir(parents=True)
    shutil.copy(base, runs / "20990101T000000Z-benchmark-0001.json")
    shutil.copy(slow, runs / "20990101T000100Z-benchmark-0002.json")
    result = compare_tool(latest=2)
    assert [r.path for r in result.runs] == [
        str(runs / "20990101T000000Z-benchmark-0001.json"),
        str(runs / "20990101T000100Z-benchmark-0002.json"),
    ]
    assert result.regressions


def test_a_directory_with_latest_n_works_from_the_cli(base, slow, tmp_path, capsys):
    shutil.copy(base, tmp_path / "20990101T000000Z-benchmark-0001.json")
    shutil.copy(slow, tmp_path / "20990101T000100Z-benchmark-0002.json")
    assert main(["compare", "--dir", str(tmp_path), "--latest", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["runs"]) == 2 and data["regressions"]
    assert main(["compare", str(tmp_path), "--latest", "2", "--fail-on-regression"]) == 1
    assert "REGRESSION" in capsys.readouterr().out


def test_an_unknown_metric_is_refused():
    with pytest.raises(ConfigError, match="unknown metric"):
        compare(["a", "b"], metrics=["latency"])
