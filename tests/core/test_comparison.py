"""Paired comparisons between targets: the emulator's known Bedrock overhead is recovered, and
the sentences say what the interval says."""

from __future__ import annotations

from datetime import UTC, datetime

from sre_latency.core.contract import ProviderResult, Run, Sample, SampleError
from sre_latency.core.paired import compare_targets, paired_values, statement
from sre_latency.core.stats import summarize
from sre_latency.emulator import Emulator
from sre_latency.probe.engine import ProbeEngine
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.base import ProbeSettings
from sre_latency.probe.targets import build_targets, emulator_env
from sre_latency.store import environment, new_run_id

BEDROCK_OVERHEAD_MS = 40.0


async def recorded_run(n: int) -> Run:
    """anthropic vs bedrock against an emulator that adds a known overhead to Bedrock only."""
    knobs = {
        "ttft_ms": 20.0,
        "itl_ms": 1.0,
        "output_tokens": 6,
        "jitter_ms": 5.0,
        "bedrock_overhead_ms": BEDROCK_OVERHEAD_MS,
    }
    async with Emulator(**knobs) as emu:
        env = emulator_env({}, emu.base_url, emu.profile)
        targets = build_targets(["anthropic", "bedrock"], ["haiku-4.5"], env)
        engine = ProbeEngine(
            targets,
            ProbeSettings(env=env),
            make_prompt(),
            n=n,
            warmup=1,
            seed=3,
            transport="httpx2",
        )
        samples: dict[str, list[Sample]] = {t.label: [] for t in targets}
        await engine.run(lambda i, s: samples[targets[i].label].append(s))
    providers = {
        t.label: ProviderResult(
            provider=t.provider,
            model=t.model,
            endpoint=t.base_url,
            summary=summarize(samples[t.label]),
            samples=samples[t.label],
        )
        for t in targets
    }
    now = datetime.now(UTC)
    return Run(
        run_id=new_run_id("benchmark", now),
        kind="benchmark",
        created_at=now,
        complete=True,
        environment=environment(),
        providers=providers,
    )


async def test_the_paired_ttft_interval_contains_the_injected_bedrock_overhead():
    run = await recorded_run(n=16)
    by_metric = {(c.a, c.b, c.metric): c for c in compare_targets(run)}
    ttft = by_metric[("anthropic", "bedrock", "ttft_ms")]
    assert ttft.paired_n == 16
    assert ttft.ci95_low <= BEDROCK_OVERHEAD_MS <= ttft.ci95_high
    assert ttft.statement.startswith("bedrock is slower than anthropic on TTFT: median paired ")
    assert ttft.statement.endswith("(n=16 pairs)")
    # server-side figures exist on Bedrock only, so they are not compared across providers
    assert ("anthropic", "bedrock", "server_latency_ms") not in by_metric
    assert ("anthropic", "bedrock", "total_ms") in by_metric


def _sample(seq: int, rnd: int, ttft: float | None, error: bool = False) -> Sample:
    return Sample(
        seq=seq,
        round=rnd,
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        ttft_ms=ttft,
        error=SampleError.model_validate({"class": "server"}) if error else None,
    )


def _result(samples: list[Sample]) -> ProviderResult:
    return ProviderResult(provider="bedrock", model="m", endpoint="e", samples=samples)


def test_pairs_are_made_within_a_round_and_failed_samples_are_left_out():
    a = _result([_sample(0, 0, 10.0), _sample(2, 1, 11.0), _sample(4, 2, 12.0)])
    b = _result([_sample(1, 0, 20.0), _sample(3, 1, 99.0, error=True), _sample(5, 2, 22.0)])
    assert paired_values(a, b, "ttft_ms") == ([10.0, 12.0], [20.0, 22.0])
    assert paired_values(a, b, "server_latency_ms") == ([], [])


def test_the_sentence_says_slower_faster_or_no_clear_difference_and_names_its_statistic():
    assert statement("anthropic", "bedrock", "ttft_ms", 98.2, 74.1, 121.4, 40, 500.0) == (
        "bedrock is slower than anthropic on TTFT: median paired difference +98 ms "
        "[95 % CI 74, 121] (n=40 pairs)"
    )
    assert statement("bedrock", "bedrock+optimized", "total_ms", -12.3, -15.2, -8.4, 40) == (
        "bedrock+optimized is faster than bedrock on total time: median paired difference "
        "-12.3 ms [95 % CI -15.2, -8.4] (n=40 pairs)"
    )
    assert statement("a", "b", "ttfb_ms", 0.4, -1.2, 2.5, 12) == (
        "no clear difference in TTFB between b and a: median paired difference +0.4 ms "
        "[95 % CI -1.2, 2.5] (n=12 pairs)"
    )


def test_a_difference_that_excludes_zero_but_is_tiny_is_not_called_a_difference():
    text = statement("anthropic", "bedrock", "total_ms", 0.16, 0.01, 0.64, 20, 354.0)
    assert text.startswith("no clear difference in total time between bedrock and anthropic")
    assert text.endswith("within 5 % of anthropic's median 354.00 ms")


def test_every_later_target_is_compared_with_every_earlier_one():
    rounds = range(5)
    labels = ["anthropic", "bedrock", "bedrock+guardrail"]
    offsets = {"anthropic": 0.0, "bedrock": 50.0, "bedrock+guardrail": 170.0}
    providers = {
        label: _result([_sample(3 * r + i, r, 100.0 + offsets[label] + r) for r in rounds])
        for i, label in enumerate(labels)
    }
    now = datetime.now(UTC)
    run = Run(
        run_id="r", kind="benchmark", created_at=now, environment=environment(), providers=providers
    )
    pairs = [(c.a, c.b, round(c.delta_p50_ms)) for c in compare_targets(run)]
    assert pairs == [
        ("anthropic", "bedrock", 50),
        ("anthropic", "bedrock+guardrail", 170),
        ("bedrock", "bedrock+guardrail", 120),
    ]


def test_targets_that_differ_in_both_provider_and_model_are_not_compared():
    labels = [
        "anthropic/haiku-4.5",
        "anthropic/sonnet-4.5",
        "bedrock/haiku-4.5",
        "bedrock/sonnet-4.5",
    ]
    providers = {
        label: _result([_sample(4 * r + i, r, 100.0 + 10 * i + r) for r in range(4)])
        for i, label in enumerate(labels)
    }
    now = datetime.now(UTC)
    run = Run(
        run_id="r", kind="benchmark", created_at=now, environment=environment(), providers=providers
    )
    pairs = {(c.a, c.b) for c in compare_targets(run)}
    assert pairs == {
        ("anthropic/haiku-4.5", "anthropic/sonnet-4.5"),
        ("anthropic/haiku-4.5", "bedrock/haiku-4.5"),
        ("anthropic/sonnet-4.5", "bedrock/sonnet-4.5"),
        ("bedrock/haiku-4.5", "bedrock/sonnet-4.5"),
    }
