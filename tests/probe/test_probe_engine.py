"""The probe engine against the emulator: right error classes, right invariants, right method."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from sre_latency.core.contract import Sample
from sre_latency.core.stats import summarize
from sre_latency.emulator import Emulator, EmulatorProfile
from sre_latency.probe.engine import Deadlines, ProbeEngine, plan
from sre_latency.probe.health import HealthWatch
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.base import ProbeSettings
from sre_latency.probe.targets import build_targets, emulator_env

FAST = {"ttft_ms": 20.0, "itl_ms": 1.0, "output_tokens": 8}


async def measure(
    profile: EmulatorProfile, providers=("anthropic",), *, n=3, warmup=0, **engine_kw
) -> tuple[dict[str, list[Sample]], dict[str, object]]:
    """Run the engine against an emulator; samples per label and emulator records by request id."""
    async with Emulator(profile) as emu, asyncio.timeout(30):
        env = emulator_env({}, emu.base_url, profile)
        targets = build_targets(list(providers), [], env)
        engine = ProbeEngine(
            targets, ProbeSettings(env=env), make_prompt("small"), n=n, warmup=warmup, **engine_kw
        )
        samples: dict[str, list[Sample]] = {t.label: [] for t in targets}
        await engine.run(lambda i, s: samples[targets[i].label].append(s))
        records = {r.request_id: r for r in emu.records}
    return samples, records


FAULT_CLASSES = {
    "auth": "auth",
    "permission": "auth",
    "rate_limit": "rate_limit",
    "overloaded": "overloaded",
    "server": "server",
    "client": "client",
    "stall": "timeout",
    "cut": "connection",
    "stream_error": "stream_error",
    "truncate": "protocol",
    "malformed": "protocol",
}


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
@pytest.mark.parametrize("fault", sorted(FAULT_CLASSES))
async def test_each_injected_fault_is_recorded_with_its_error_class(provider, fault):
    profile = EmulatorProfile.build(**FAST, stall_ms=5_000, faults=[f"{fault}:1.0"])
    samples, _ = await measure(
        profile, [provider], n=2, deadlines=Deadlines(first_token_s=0.3, total_s=5)
    )
    got = samples[provider]
    assert len(got) == 2  # the run went on after the first failure
    assert {s.error.class_ for s in got if s.error} == {FAULT_CLASSES[fault]}
    assert summarize(got).error_rate == 1.0


async def test_mixed_fault_rates_give_the_error_rate_the_emulator_injected():
    profile = EmulatorProfile.build(**FAST, seed=7, faults=["rate_limit:0.3", "cut:0.2"])
    samples, records = await measure(profile, ["anthropic"], n=30)
    got = samples["anthropic"]
    injected = Counter(r.fault for r in records.values() if r.fault)
    summary = summarize(got)
    assert summary.n == 30
    assert summary.errors_by_class == {
        k: v
        for k, v in {"rate_limit": injected["rate_limit"], "connection": injected["cut"]}.items()
        if v
    }
    assert summary.error_rate == pytest.approx(sum(injected.values()) / 30)
    assert 0 < summary.error_rate < 1


@pytest.mark.parametrize("transport", ["aiohttp", "httpx2"])
async def test_every_ok_sample_keeps_the_timing_invariants_against_emulator_truth(transport):
    # jitter below the gap, and a stream long enough that a busy client cannot read it in two
    # bursts: no stream is buffered
    profile = EmulatorProfile.build(**{**FAST, "itl_ms": 4.0}, jitter_ms=2.0)
    samples, records = await measure(
        profile, ["anthropic", "openai", "bedrock"], n=4, warmup=1, transport=transport
    )
    for label, got in samples.items():
        assert len(got) == 4, label
        for s in got:
            assert s.error is None, (label, s.error)
            truth = records[s.request_id]
            assert s.ttfb_ms <= s.ttft_ms <= s.total_ms
            assert s.request_sent_ms <= s.ttfb_ms
            assert (
                s.ttft_ms >= truth.ttft_ns / 1e6
            )  # the client cannot see the token before it is sent
            assert s.output_tokens == 8 and s.itl_ms.n == 7 and not s.buffered
            assert s.output_tps == pytest.approx(8 / (s.generation_ms / 1000))
            assert s.new_connection is False and s.ttfr_ms is None


async def test_measured_ttft_is_never_below_the_injected_delay():
    profile = EmulatorProfile.build(ttft_ms=60.0, itl_ms=1.0, output_tokens=4)
    samples, _ = await measure(profile, ["anthropic", "openai"], n=3)
    assert all(s.ttft_ms >= 60.0 for got in samples.values() for s in got)


async def test_concurrent_rounds_send_every_target_once_per_round():
    samples, _ = await measure(
        EmulatorProfile.build(**FAST), ["anthropic", "openai"], n=6, concurrency=4
    )
    rounds = Counter(s.round for got in samples.values() for s in got if s.error is None)
    assert rounds == dict.fromkeys(range(6), 2)


@pytest.mark.parametrize("transport", ["aiohttp", "httpx2"])
async def test_warm_runs_reuse_connections_and_cold_runs_open_one_per_request(transport):
    profile = EmulatorProfile.build(**FAST)
    warm, _ = await measure(profile, ["anthropic"], n=3, warmup=1, transport=transport)
    cold, _ = await measure(profile, ["anthropic"], n=3, warmup=1, cold=True, transport=transport)
    assert all(s.connect_ms is None and not s.cold for s in warm["anthropic"])
    assert all(s.connect_ms is not None and s.connect_ms > 0 and s.cold for s in cold["anthropic"])
    assert all(s.new_connection for s in cold["anthropic"])


async def test_a_stream_slower_than_the_total_deadline_is_a_timeout():
    profile = EmulatorProfile.build(ttft_ms=5.0, itl_ms=100.0, output_tokens=20)
    samples, _ = await measure(profile, ["openai"], n=1, deadlines=Deadlines(total_s=0.4))
    (s,) = samples["openai"]
    assert s.error is not None and s.error.class_ == "timeout"
    assert "end" in s.error.message and s.ttft_ms is not None


async def test_a_refused_connection_is_a_connection_error():
    env = {"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
    engine = ProbeEngine(
        build_targets(["anthropic"], [], env), ProbeSettings(env=env), make_prompt(), n=2, warmup=0
    )
    got: list[Sample] = []
    async with asyncio.timeout(10):
        await engine.run(lambda i, s: got.append(s))
    assert [s.error.class_ for s in got] == ["connection", "connection"]


def test_rounds_are_interleaved_in_a_fresh_seeded_order():
    warm, measured = plan(3, 40, 2, seed=5)
    assert len(warm) == 6 and all(p.warmup for p in warm)
    orders = {tuple(p.target for p in measured[r * 3 : r * 3 + 3]) for r in range(40)}
    assert all(sorted(o) == [0, 1, 2] for o in orders)
    assert len(orders) > 1  # not one fixed order
    assert plan(3, 40, 2, seed=5) == (warm, measured)


async def test_a_blocked_event_loop_makes_the_health_report_say_the_client_was_saturated():
    watch = HealthWatch(tick_s=0.002)
    watch.start()
    for _ in range(30):
        await asyncio.sleep(0.003)
        time.sleep(0.02)  # the measuring thread busy: every byte arriving now would wait
    await watch.stop()
    health, notes = watch.report(requests=30)
    assert health.loop_lag_p99_ms > 10
    assert any("event-loop lag" in note for note in notes)


def test_lags_under_the_thresholds_keep_the_run_valid_and_a_late_schedule_does_not():
    # Fixed lags, not a timed idle loop: an upper bound on a wall-clock lag fails on a busy host.
    watch = HealthWatch()
    watch.loop_lags_ns.extend([1_000_000] * 100)
    watch.schedule_lags_ns.extend([2_000_000] * 10)
    health, notes = watch.report(requests=10)
    assert notes == []
    assert (health.loop_lag_p99_ms, health.schedule_lag_p99_ms) == (1.0, 2.0)
    watch.schedule_lags_ns.extend([50_000_000] * 10)
    _, notes = watch.report(requests=20)
    assert len(notes) == 1 and "schedule lag" in notes[0] and "n=20 requests" in notes[0]


async def test_a_cold_request_to_a_host_name_times_its_dns_lookup_inside_the_connect():
    profile = EmulatorProfile.build(**FAST)
    async with Emulator(profile) as emu, asyncio.timeout(20):
        env = {
            "ANTHROPIC_API_KEY": "k",
            "ANTHROPIC_BASE_URL": emu.base_url.replace("127.0.0.1", "localhost"),
        }
        engine = ProbeEngine(
            build_targets(["anthropic"], [], env),
            ProbeSettings(env=env),
            make_prompt(),
            n=2,
            warmup=0,
            cold=True,
        )
        got: list[Sample] = []
        await engine.run(lambda i, s: got.append(s))
    assert [s.error for s in got] == [None, None]
    assert all(s.dns_ms is not None and 0 < s.dns_ms <= s.connect_ms for s in got)


async def test_aiohttp_stamps_ttfb_in_the_socket_callback_not_when_the_coroutine_resumes(
    monkeypatch,
):
    """A callback that blocks the loop between the headers' arrival and the coroutine's resume
    (what hundreds of ready streams do) must not move TTFB: the stamp precedes the block."""
    from sre_latency.probe.transport import aiohttp_stack

    blocks: list[int] = []  # when each blocking callback started
    exchanges: list[object] = []
    stamped_class = aiohttp_stack._stamped_protocol_class

    def slow_to_resume(response_handler):
        class SlowToResume(stamped_class(response_handler)):
            def feed_data(self, data, size=0):
                def block() -> None:
                    blocks.append(time.perf_counter_ns())
                    time.sleep(0.03)  # runs before the awaiting coroutine can resume

                asyncio.get_running_loop().call_soon(block)
                super().feed_data(data, size)

        return SlowToResume

    original_exchange = aiohttp_stack.AiohttpTransport.exchange

    async def keep(self, req, parser, state, x, first_token_s, total_s):
        exchanges.append(x)
        await original_exchange(self, req, parser, state, x, first_token_s, total_s)

    monkeypatch.setattr(aiohttp_stack, "_stamped_protocol_class", slow_to_resume)
    monkeypatch.setattr(aiohttp_stack.AiohttpTransport, "exchange", keep)
    samples, _ = await measure(EmulatorProfile.build(**FAST), n=3, transport="aiohttp")
    assert all(s.error is None for s in samples["anthropic"])
    assert len(blocks) == len(exchanges) == 3
    for x in exchanges:  # one request at a time: its block is the first after its start
        block_ns = min(b for b in blocks if b > x.t_start)
        assert x.t_start < x.t_headers < block_ns


async def test_credentials_that_fail_mid_run_surface_as_one_error_and_keep_earlier_samples():
    from sre_latency.errors import CredentialsError
    from sre_latency.probe.providers.anthropic import AnthropicAdapter

    class ExpiringAdapter(AnthropicAdapter):
        """Signs two requests, then its credentials can no longer be refreshed."""

        calls = 0

        def prepare(self, prompt, max_tokens):
            ExpiringAdapter.calls += 1
            if ExpiringAdapter.calls > 2:
                raise CredentialsError("AWS credentials could not be refreshed; log in again.")
            return super().prepare(prompt, max_tokens)

    profile = EmulatorProfile.build(**FAST)
    async with Emulator(profile) as emu, asyncio.timeout(30):
        env = emulator_env({}, emu.base_url, profile)
        targets = build_targets(["anthropic"], [], env)
        settings = ProbeSettings(env=env)
        engine = ProbeEngine(
            targets,
            settings,
            make_prompt(),
            n=5,
            warmup=0,
            adapters=[ExpiringAdapter(targets[0], settings)],
        )
        got: list[Sample] = []
        with pytest.raises(CredentialsError, match="could not be refreshed"):
            await engine.run(lambda i, s: got.append(s))
    assert [s.error for s in got] == [None, None]


async def test_an_aiohttp_connect_timeout_is_reported_as_the_connect_deadline(monkeypatch):
    import aiohttp

    async def never_connects(self, *args, **kwargs):
        raise aiohttp.ConnectionTimeoutError("Connection timeout to host")

    monkeypatch.setattr(aiohttp.ClientSession, "request", never_connects)
    samples, _ = await measure(
        EmulatorProfile.build(**FAST),
        n=1,
        transport="aiohttp",
        deadlines=Deadlines(connect_s=3, first_token_s=60, total_s=60),
    )
    (s,) = samples["anthropic"]
    assert s.error.class_ == "timeout"
    assert s.error.message == "no connection within 3 s"  # not "no first token within 60 s"
