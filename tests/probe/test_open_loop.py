"""The open-loop driver and time-bound runs, against the emulator: sends leave at their planned
times, a full cap delays them without a catch-up burst, every late send is counted."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from sre_latency.core.contract import Sample
from sre_latency.emulator import Emulator, EmulatorProfile
from sre_latency.probe.arrivals import make_arrivals
from sre_latency.probe.engine import ProbeEngine
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.base import ProbeSettings
from sre_latency.probe.targets import build_targets, emulator_env

FAST = {"ttft_ms": 10.0, "itl_ms": 1.0, "output_tokens": 4}


async def run_engine(profile, providers=("anthropic",), *, during=None, **kw):
    async with Emulator(profile) as emu, asyncio.timeout(60):
        env = emulator_env({}, emu.base_url, profile)
        targets = build_targets(list(providers), [], env)
        engine = ProbeEngine(targets, ProbeSettings(env=env), make_prompt("small"), **kw)
        samples: list[tuple[int, Sample]] = []
        task = asyncio.create_task(engine.run(lambda i, s: samples.append((i, s))))
        if during is not None:
            await during(engine)
        await task
    return engine, samples


async def test_each_sample_records_its_planned_and_actual_send_time():
    arrivals = make_arrivals("constant", 40.0, seed=1)
    engine, samples = await run_engine(
        EmulatorProfile.build(**FAST), ["anthropic", "openai"], n=10, warmup=1, arrivals=arrivals
    )
    assert len(samples) == 20 == engine.planned
    intended = sorted(s.intended_send_s for _, s in samples)
    assert intended == [i / 40.0 for i in range(20)]  # 20 req/s per target, 2 targets
    for _, s in samples:
        assert s.send_s >= s.intended_send_s
    assert {i for i, _ in samples} == {0, 1}
    assert sorted(s.round for i, s in samples if i == 0) == list(range(10))
    assert engine.health.late_sends is not None


async def test_a_full_concurrency_cap_leaves_out_late_sends_and_counts_them_without_calling_the_client_saturated():
    profile = EmulatorProfile.build(ttft_ms=60.0, itl_ms=1.0, output_tokens=2)
    arrivals = make_arrivals("constant", 100.0, seed=1)
    engine, samples = await run_engine(profile, n=30, warmup=0, concurrency=2, arrivals=arrivals)
    health, notes = engine.health.report(engine.finished)
    assert health.late_sends and health.late_sends >= 10  # 2 slots of ~60 ms cannot take 100/s
    assert len(samples) + health.late_sends == 30 == engine.planned + health.late_sends
    # what left kept its own planned time: each planned send at most once, none moved later
    intended = [s.intended_send_s for _, s in samples]
    assert len(set(intended)) == len(intended)
    assert all(s.send_s >= s.intended_send_s for _, s in samples)
    assert not [n for n in notes if "schedule lag" in n]  # the cap's wait is not client lag


async def test_a_stalled_client_leaves_out_what_it_missed_instead_of_a_catch_up_burst():
    async def stall(engine):
        await asyncio.sleep(0.15)
        time.sleep(0.25)  # the event loop is blocked: ~25 sends become due meanwhile

    arrivals = make_arrivals("constant", 100.0, seed=1)
    engine, samples = await run_engine(
        EmulatorProfile.build(**FAST), n=60, warmup=0, arrivals=arrivals, during=stall
    )
    sends = np.sort([s.send_s for _, s in samples])
    assert engine.health.late_sends >= 15
    assert len(sends) + engine.health.late_sends == 60
    # a burst would put the ~25 overdue sends together; the plan spaces them 10 ms apart
    crowded = max(int(np.searchsorted(sends, t + 0.008) - i) for i, t in enumerate(sends))
    assert crowded <= 2


async def test_a_duration_plans_the_arrivals_inside_it_instead_of_n():
    arrivals = make_arrivals("constant", 20.0, seed=1)
    engine, samples = await run_engine(
        EmulatorProfile.build(**FAST), n=1, warmup=1, arrivals=arrivals, duration_s=0.5
    )
    # planned: 0, 0.05, … 0.45 s; one that could not leave on time is left out and counted
    assert len(samples) + engine.health.late_sends == 10
    assert engine.planned == len(samples)
    assert max(s.intended_send_s for _, s in samples) < 0.5


async def test_a_closed_loop_with_a_duration_keeps_sending_until_it_ends():
    engine, samples = await run_engine(
        EmulatorProfile.build(**FAST), ["anthropic", "openai"], n=1, warmup=1, concurrency=2,
        duration_s=0.6,
    )  # fmt: skip
    assert len(samples) > 2 * 2  # well past the n=1 of the plan
    assert engine.planned == engine.finished == len(samples)
    assert {i for i, _ in samples} == {0, 1}  # targets still interleaved
    assert all(s.intended_send_s is None for _, s in samples)


async def test_stopping_an_open_loop_keeps_what_finished_and_sends_nothing_more():
    async def stop_soon(engine):
        while engine.finished < 3:
            await asyncio.sleep(0.01)
        engine.request_stop()

    arrivals = make_arrivals("constant", 50.0, seed=1)
    _engine, samples = await run_engine(
        EmulatorProfile.build(**FAST), n=500, warmup=0, arrivals=arrivals, during=stop_soon
    )
    assert 3 <= len(samples) < 500
