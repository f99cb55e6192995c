"""latency-budget: phases that add up, warm vs cold measured side by side, provider deltas."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recorded import recorded_run
from sre_latency.analysis.budget import latency_budget_from_run, phase_columns
from sre_latency.analysis.columns import load_run_columns
from sre_latency.cli import main
from sre_latency.store import LocalStore, load_run_file
from sre_latency.tools.latency_budget import LatencyBudgetOptions, run_latency_budget


def test_the_phases_of_every_successful_request_add_up_to_its_total(faulty):
    for t in load_run_columns(faulty).targets.values():
        phases = phase_columns(t)
        total = np.sum(list(phases.values()), axis=0)
        ok = t.ok & ~np.isnan(t.metrics["ttft_ms"])
        assert ok.sum() > 10
        assert np.allclose(total[ok], t.metrics["total_ms"][ok], atol=1e-6)
        assert np.isnan(total[~t.ok]).all()
        for name, v in phases.items():
            assert (v[ok] >= -1e-9).all(), name


def test_a_known_server_overhead_shows_up_in_server_wait_with_a_ci(faulty):
    result = latency_budget_from_run(faulty)
    d = next(d for d in result.deltas if d.phase == "server_wait" and d.mode == "warm")
    assert (d.a, d.b) == ("anthropic", "openai")
    assert d.significant and d.ci95_low > 15 and d.ci95_high < 25  # the emulator adds 20 ms
    gen = next(d for d in result.deltas if d.phase == "generation" and d.mode == "warm")
    assert abs(gen.delta_p50_ms) < 3  # same token pacing on both
    assert "openai adds" in result.summary and "server_wait" in result.summary


def test_the_waterfall_starts_each_phase_where_the_previous_ended(faulty):
    result = latency_budget_from_run(faulty)
    for t in result.targets:
        (warm,) = t.modes  # this run had no cold connections
        assert warm.mode == "warm"
        ends = [p.start_ms + p.mean_ms for p in warm.phases]
        assert ends[-1] == pytest.approx(warm.total_mean_ms, rel=1e-6)
        assert [p.start_ms for p in warm.phases[1:]] == pytest.approx(ends[:-1])
        assert sum(p.share_of_total for p in warm.phases) == pytest.approx(1.0)


async def test_measuring_runs_warm_and_cold_and_saves_one_run(tmp_path):
    seen: list[tuple[str, int, int]] = []
    options = LatencyBudgetOptions(
        providers="anthropic,bedrock", n=6, max_tokens=8, warmup=1, emulate=True, seed=3,
        emulator_ttft_ms=5, emulator_itl_ms=1, emulator_output_tokens=8,
    )  # fmt: skip
    result = await run_latency_budget(
        options, on_sample=lambda label, s, done, planned: seen.append((label, done, planned))
    )
    assert len(seen) == 2 * 2 * 6
    assert [done for _, done, _ in seen] == list(range(1, 25))
    assert {planned for _, _, planned in seen} == {24}
    for t in result.targets:
        modes = {m.mode: m for m in t.modes}
        assert set(modes) == {"warm", "cold"}
        connect = {
            k: next(p for p in m.phases if p.phase == "tcp_connect") for k, m in modes.items()
        }
        assert connect["warm"].mean_ms == 0 and connect["cold"].mean_ms > 0
        assert t.cold_penalty_ms is not None
    bedrock = next(t for t in result.targets if t.label == "bedrock")
    assert all(m.server_latency_mean_ms is not None for m in bedrock.modes)
    anthropic = next(t for t in result.targets if t.label == "anthropic")
    assert all(m.server_latency_mean_ms is None for m in anthropic.modes)
    run = load_run_file(LocalStore().resolve(result.run_id))
    assert run.kind == "latency_budget" and run.complete
    assert run.extra["warm_run_id"] and run.extra["cold_run_id"]
    assert sum(s.cold for s in run.providers["anthropic"].samples) == 6
    # one HTTP stack for both phases, recorded per phase: the cold penalty is the connection's
    assert run.extra["transport_by_phase"] == {"warm": "httpx2", "cold": "httpx2"}
    assert run.config.transport == "httpx2"


def test_the_cli_reads_a_run_and_prints_json(faulty, capsys):
    assert main(["latency-budget", str(faulty), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["label"] for t in data["targets"]] == ["anthropic", "openai"]
    assert main(["latency-budget", str(faulty)]) == 0
    out = capsys.readouterr().out
    assert "server_wait" in out and "waterfall" in out


def test_an_incomplete_run_says_so(tmp_path_factory):
    result = latency_budget_from_run(recorded_run("partial", tmp_path_factory))
    assert not result.complete and "incomplete" in result.notes[0]
    assert result.summary.endswith("(run incomplete).")


def test_measuring_flags_with_a_saved_run_are_refused_rather_than_ignored(faulty, capsys):
    assert main(["latency-budget", str(faulty), "--emulate", "--providers", "bedrock"]) == 2
    assert "--providers, --emulate only apply when measuring" in capsys.readouterr().err


def test_a_bad_request_count_is_one_sentence_and_exit_2(capsys):
    assert main(["latency-budget", "--emulate", "-n", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sre-latency: bad -n: ") and err.count("\n") == 1
