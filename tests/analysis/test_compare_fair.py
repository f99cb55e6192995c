"""compare claims only what the data shows: like with like, few false flags, real changes found."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from recorded import recorded_run
from sre_latency.analysis.columns import RunColumns, TargetColumns
from sre_latency.analysis.compare import compare
from sre_latency.analysis.significance import min_n_for_quantile
from sre_latency.cli import main
from sre_latency.core.contract import Environment, RunConfig
from sre_latency.core.metrics import SAMPLE_METRICS


def test_a_haiku_run_and_an_opus_run_are_not_called_regressions(base, tmp_path_factory, capsys):
    opus = recorded_run("opus", tmp_path_factory)  # same profile, opus-4.6 at twice the TTFT
    result = compare([base, opus])
    assert result.conditions_differ and result.regressions == [] and result.improvements == []
    assert "model claude-haiku-4-5-20251001 vs claude-opus-4-6" in result.condition_notes[0]
    assert all(not d.regression for t in result.targets for ds in t.deltas.values() for d in ds)
    assert main(["compare", str(base), str(opus)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("note: conditions differ") and "REGRESSION" not in out
    judged = compare([base, opus], allow_different_conditions=True)
    assert judged.regressions and "judged anyway" in judged.condition_notes[-1]


def test_targets_pair_by_provider_and_model_not_by_label(base, tmp_path_factory):
    models = recorded_run("models", tmp_path_factory)  # labels anthropic/haiku-4.5, …
    result = compare([base, models])
    anthropic = next(t for t in result.targets if t.label == "anthropic")
    assert anthropic.labels == ["anthropic", "anthropic/haiku-4.5"]
    assert list(anthropic.deltas) == [result.runs[1].run_id]
    sonnet = next(t for t in result.targets if t.label == "anthropic/sonnet-4.5")
    assert sonnet.runs[0] is None and sonnet.deltas == {}


@pytest.mark.parametrize(
    ("knob", "value", "said"),
    [("max_tokens", 64, "max_tokens 8 vs 64"), ("prompt_size", "large", "prompt size small vs large"),
     ("concurrency", 8, "concurrency 1 vs 8"), ("cold", True, "connections warm vs cold"),
     ("emulate", False, "measured emulated vs real API")],
)  # fmt: skip
def test_different_conditions_are_said_first_and_nothing_is_flagged(slow, tmp_path, knob, value,
                                                                    said, base):  # fmt: skip
    data = json.loads(slow.read_text())
    data["config"][knob] = value
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    result = compare([base, other])
    assert said in result.condition_notes[0] and result.regressions == []
    assert compare([base, other], allow_different_conditions=True).regressions


# --- false flags and power, by simulation over the real compare() ---------------------------

ENV = Environment(host="sim", os="sim", python="3", package_version="0")


def _target(label: str, rng: np.random.Generator, n: int, slowdown: float, sigma: float):
    ttft = 500.0 * np.exp(rng.normal(0, sigma, n)) * slowdown
    generation = 768.0 * np.exp(rng.normal(0, sigma / 2, n)) * slowdown
    metrics = {m: np.full(n, np.nan) for m in SAMPLE_METRICS}
    metrics.update(ttft_ms=ttft, total_ms=ttft + generation, generation_ms=generation,
                   output_tps=64 / (generation / 1000), output_tokens=np.full(n, 64.0))  # fmt: skip
    return TargetColumns(
        label=label, provider=label, model="claude-haiku-4-5", endpoint="https://api",
        metrics=metrics, ok=np.ones(n, bool), error_code=np.full(n, -1, np.int8),
        round=np.arange(n), cold=np.zeros(n, bool), started_s=np.arange(n, dtype=float),
    )  # fmt: skip


def _run(i: int, rng, n: int, slowdown: float = 1.0, sigma: float = 0.3) -> RunColumns:
    """One run of two targets of one profile (log-normal TTFT: p99/p50 ≈ 2 at sigma 0.3)."""
    targets = {p: _target(p, rng, n, slowdown, sigma) for p in ("anthropic", "openai")}
    return RunColumns(
        run_id=f"sim-{i}", kind="benchmark", created_at=datetime(2026, 1, 1, tzinfo=UTC),
        complete=True, valid=True, validity_notes=[], environment=ENV, config=RunConfig(n=n),
        targets=targets,
    )  # fmt: skip


def _flag_rate(n: int, sims: int, slowdown: float = 1.0, sigma: float = 0.3) -> float:
    rng = np.random.default_rng(20261201)
    flagged = 0
    for i in range(sims):
        result = compare(
            [_run(2 * i, rng, n, sigma=sigma), _run(2 * i + 1, rng, n, slowdown, sigma)]
        )
        flagged += bool(result.regressions or result.improvements)
    return flagged / sims


@pytest.mark.parametrize(("n", "sigma"), [(30, 0.3), (100, 0.5)])
def test_two_runs_of_one_profile_are_flagged_at_most_one_time_in_twenty(n, sigma):
    # measured with 1,000 simulated pairs: 2.5 % at n=30 and 3.1 % at n=100 (sigma 0.5)
    assert _flag_rate(n, sims=300, sigma=sigma) <= 0.05


@pytest.mark.parametrize("n", [30, 100])
def test_a_twenty_percent_slowdown_is_still_flagged(n):
    assert _flag_rate(n, sims=40, slowdown=1.2) >= 0.9


def test_p99_is_reported_but_not_tested_below_the_n_where_its_interval_exists(base, slow):
    assert min_n_for_quantile(0.99) == 368 and min_n_for_quantile(0.5) == 6
    result = compare([base, slow])
    anthropic = next(t for t in result.targets if t.label == "anthropic")
    (deltas,) = anthropic.deltas.values()
    p99 = next(d for d in deltas if d.metric == "ttft_ms p99")
    assert p99.delta == pytest.approx(p99.value - p99.baseline)
    assert not p99.tested and p99.ci95_low is None and not p99.regression
    assert "needs n ≥ 368" in p99.not_tested_reason
    p50 = next(d for d in deltas if d.metric == "ttft_ms p50")
    assert p50.tested and p50.confidence == pytest.approx(1 - 0.05 / result.family_tests)
