"""The emulator's capacity model: N generation slots, a bounded queue, a token-bucket rate limit."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx2
import pytest

from sre_latency.emulator import Emulator, EmulatorProfile
from sre_latency.emulator.capacity import sustainable_rate_per_s
from sre_latency.probe.arrivals import make_arrivals
from sre_latency.probe.engine import ProbeEngine
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.base import ProbeSettings
from sre_latency.probe.targets import build_targets, emulator_env

BODY = {"model": "claude-haiku-4-5", "max_tokens": 4, "stream": True,
        "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip


async def measure(profile, provider="anthropic", **kw):
    async with Emulator(profile) as emu, asyncio.timeout(60):
        env = emulator_env({}, emu.base_url, profile)
        targets = build_targets([provider], [], env)
        engine = ProbeEngine(targets, ProbeSettings(env=env), make_prompt("small"), warmup=0, **kw)
        samples = []
        await engine.run(lambda i, s: samples.append(s))
        records = [r for r in emu.records if r.protocol]
    return samples, records


@pytest.mark.parametrize("provider", ["anthropic", "openai", "bedrock"])
async def test_requests_beyond_capacity_wait_for_a_slot_and_their_ttft_grows_by_the_wait(provider):
    profile = EmulatorProfile.build(ttft_ms=80.0, itl_ms=1.0, output_tokens=3, capacity=2)
    samples, records = await measure(profile, provider, n=6, concurrency=6)
    assert all(s.error is None for s in samples)
    queued = sorted(r.queue_ns / 1e6 for r in records)
    assert queued[:2] == pytest.approx([0, 0], abs=1.0)
    assert queued[-1] > 80  # the last waited for two earlier generations
    ttft = sorted(s.ttft_ms for s in samples)
    assert ttft[-1] > ttft[0] + 80
    # never more than two generations at once, judged by the emulator's own clock
    spans = [(r.admitted_ns, r.ended_ns) for r in records]
    for start, _ in spans:
        assert sum(1 for a, b in spans if a <= start < b) <= 2


async def test_a_full_queue_answers_overloaded_at_once():
    profile = EmulatorProfile.build(ttft_ms=100.0, itl_ms=1.0, output_tokens=2, capacity=1,
                                    queue_limit=1)  # fmt: skip
    # five at once, sent by hand: the engine spreads its workers' starts (no herd)
    async with Emulator(profile) as emu, httpx2.AsyncClient(base_url=emu.base_url) as client:
        headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
        async with asyncio.timeout(30):
            answers = await asyncio.gather(
                *(client.post("/v1/messages", json=BODY, headers=headers) for _ in range(5))
            )
        records = [r for r in emu.records if r.protocol]
    assert sorted(a.status_code for a in answers) == [200, 200, 529, 529, 529]
    assert sorted(r.status for r in records) == [200, 200, 529, 529, 529]


async def test_the_rate_limit_admits_its_burst_then_its_rate_and_answers_429_with_retry_after():
    profile = EmulatorProfile.build(ttft_ms=1.0, itl_ms=1.0, output_tokens=2, rate_limit=5.0,
                                    rate_limit_burst=2, retry_after_s=1)  # fmt: skip
    async with Emulator(profile) as emu, httpx2.AsyncClient(base_url=emu.base_url) as client:
        headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
        answers = [await client.post("/v1/messages", json=BODY, headers=headers)
                   for _ in range(4)]  # fmt: skip
    assert [a.status_code for a in answers] == [200, 200, 429, 429]
    assert answers[2].headers["retry-after"] == "1"
    assert answers[2].json()["error"]["type"] == "rate_limit_error"


async def test_an_open_loop_past_the_rate_limit_sees_it_as_rate_limit_errors():
    profile = EmulatorProfile.build(ttft_ms=1.0, itl_ms=1.0, output_tokens=2, rate_limit=10.0,
                                    rate_limit_burst=1)  # fmt: skip
    samples, _ = await measure(profile, n=20, arrivals=make_arrivals("constant", 40.0, 1))
    outcome = Counter(s.error.class_ if s.error else "ok" for s in samples)
    assert set(outcome) == {"ok", "rate_limit"}
    assert 3 <= outcome["ok"] <= 9  # 1 + 10/s over the 0.5 s the 20 sends take


def test_the_true_sustainable_rate_of_a_profile_is_capacity_over_request_time():
    profile = EmulatorProfile.build(ttft_ms=200.0, itl_ms=10.0, output_tokens=64, capacity=8)
    assert sustainable_rate_per_s(profile) == pytest.approx(8 / 0.83)
    assert sustainable_rate_per_s(EmulatorProfile.build()) is None
    limited = EmulatorProfile.build(capacity=8, rate_limit=3.0)
    assert sustainable_rate_per_s(limited) == 3.0
