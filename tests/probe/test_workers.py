"""Client scale: worker processes share one plan and one journal; each checks its own health."""

from __future__ import annotations

import asyncio
import os
from collections import Counter

from sre_latency.core.contract import ClientHealth
from sre_latency.emulator import Emulator, EmulatorProfile
from sre_latency.probe.engine import build_adapters
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.base import ProbeSettings
from sre_latency.probe.targets import build_targets, emulator_env
from sre_latency.probe.workers import PoolHealth, WorkerConfig, WorkerPool, workers_for

FAST = {"ttft_ms": 10.0, "itl_ms": 1.0, "output_tokens": 4}


async def pool_run(config_kw, count, providers=("anthropic", "openai")):
    profile = EmulatorProfile.build(**FAST)
    async with Emulator(profile) as emu, asyncio.timeout(90):
        env = emulator_env({}, emu.base_url, profile)
        targets = build_targets(list(providers), [], env)
        settings = ProbeSettings(env=env)
        config = WorkerConfig(targets, settings, make_prompt("small"), **config_kw)
        pool = WorkerPool(targets, build_adapters(targets, settings), config, count)
        samples = []
        await pool.run(lambda i, s: samples.append((i, s)))
        records = emu.records
    return pool, samples, records


def test_one_process_measures_unless_the_load_needs_more_and_never_more_than_the_cores():
    cores = os.cpu_count() or 1
    assert workers_for(64, None, None) == 1
    assert workers_for(1, 50.0, None) == 1
    assert workers_for(512, None, None) == min(cores, 4)
    assert workers_for(1, 10_000.0, None) == cores
    assert workers_for(1, None, 3) == 3  # asked for


async def test_two_workers_measure_one_plan_with_unique_rounds_and_seqs():
    pool, samples, records = await pool_run(
        {"engine": {"n": 6, "warmup": 1, "concurrency": 4, "seed": 1}}, 2
    )
    assert len(samples) == 12 == pool.finished == pool.planned
    by_target = Counter(i for i, _ in samples)
    assert by_target == {0: 6, 1: 6}
    for target in (0, 1):
        assert sorted(s.round for i, s in samples if i == target) == list(range(6))
    assert sorted(s.seq for _, s in samples) == list(range(12))
    served = {r.request_id for r in records}
    assert all(s.request_id in served for _, s in samples)
    health, _notes = pool.health.report(pool.finished)
    assert health.workers == 2 and health.loop_lag_p99_ms is not None


async def test_workers_share_an_open_loop_rate_and_a_duration():
    pool, samples, _ = await pool_run(
        {"engine": {"n": 1, "warmup": 1, "seed": 2}, "rate_total_per_s": 40.0,
         "arrival": "constant", "duration_s": 1.0}, 2, providers=("anthropic",),
    )  # fmt: skip
    health, _ = pool.health.report(pool.finished)
    # 20 planned per worker (0, 0.05, … 0.95 s); a send that could not leave on time is left out
    assert len(samples) + health.late_sends == 40
    assert len(samples) >= 30
    assert all(s.intended_send_s is not None for _, s in samples)


def test_each_workers_saturation_note_is_kept_and_named_by_worker():
    class Fake:
        def __init__(self, index, health, notes, finished):
            self.index, self.health, self.notes, self.finished = index, health, notes, finished
            self.error = None

    pool = WorkerPool.__new__(WorkerPool)
    pool.workers = [
        Fake(0, ClientHealth(loop_lag_p99_ms=2.0, cpu_ms_per_request=1.0), [], 100),
        Fake(1, ClientHealth(loop_lag_p99_ms=31.0, cpu_ms_per_request=3.0),
             ["client saturated: event-loop lag p99 31.0 ms > 10 ms"], 100),
    ]  # fmt: skip
    health, notes = PoolHealth(pool).report(200)
    assert health.loop_lag_p99_ms == 31.0
    assert health.cpu_ms_per_request == 2.0
    assert notes == ["worker 1: client saturated: event-loop lag p99 31.0 ms > 10 ms"]


async def test_a_worker_that_dies_stops_the_others_instead_of_leaving_them_waiting():
    profile = EmulatorProfile.build(**FAST)
    async with Emulator(profile) as emu, asyncio.timeout(90):
        env = emulator_env({}, emu.base_url, profile)
        targets = build_targets(["anthropic"], [], env)
        settings = ProbeSettings(env=env)
        config = WorkerConfig(targets, settings, make_prompt("small"),
                              {"n": 1, "warmup": 1, "seed": 1}, rate_total_per_s=20.0,
                              duration_s=30.0)  # fmt: skip
        pool = WorkerPool(targets, build_adapters(targets, settings), config, 2)
        samples = []
        measuring = asyncio.Event()  # samples come only once every worker has warmed up

        def on_sample(i, s):
            samples.append(s)
            measuring.set()

        task = asyncio.create_task(pool.run(on_sample))
        await measuring.wait()
        pool.workers[1].process.kill()  # our own worker, by its handle
        await task
    _, notes = pool.health.report(pool.finished)
    assert any(n.startswith("worker 1: stopped unexpectedly") for n in notes)
    assert len(samples) < 150  # the survivor stopped instead of measuring its 300 planned
