"""The measurement method against servers we did not write (issue 10): no hang, a pool that is
really warm or says it is not, spread starts, one stamping rule, reasoning apart, buffers named."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from sre_latency.core.contract import Sample
from sre_latency.core.stats import summarize
from sre_latency.emulator import Emulator, EmulatorProfile
from sre_latency.probe.engine import Deadlines, ProbeEngine
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.base import ProbeSettings
from sre_latency.probe.targets import build_targets, emulator_env

FAST = {"ttft_ms": 20.0, "itl_ms": 4.0, "output_tokens": 8}  # 28 ms of tokens: not one burst
ALL = ("anthropic", "openai", "bedrock")


async def run_engine(profile: EmulatorProfile, providers=("anthropic",), **kw):
    """(samples by label, emulator records in arrival order, the engine) of one run."""
    async with Emulator(profile) as emu, asyncio.timeout(60):
        env = emulator_env({}, emu.base_url, profile)
        targets = build_targets(list(providers), [], env)
        kw.setdefault("n", 2)
        engine = ProbeEngine(targets, ProbeSettings(env=env), make_prompt(), **kw)
        samples: dict[str, list[Sample]] = {t.label: [] for t in targets}
        await engine.run(lambda i, s: samples[targets[i].label].append(s))
        records = sorted(emu.records, key=lambda r: r.received_ns)
    return samples, records, engine


def absolute_ns(engine: ProbeEngine, s: Sample, ms: float) -> int:
    """A sample's ``ms`` after its start, on the shared perf_counter_ns clock."""
    start = engine._perf0 + round((s.started_at - engine._wall0) / timedelta(microseconds=1) * 1e3)
    return start + round(ms * 1e6)


# 1. No hang on a stalled upstream.


@pytest.mark.parametrize("transport", ["aiohttp", "httpx2"])
@pytest.mark.parametrize("concurrency", [1, 2])
async def test_a_stalled_upstream_ends_in_timeout_samples_and_says_the_warm_up_failed(
    transport, concurrency
):
    samples, _, engine = await run_engine(
        EmulatorProfile.build(unresponsive=True),
        n=2,
        warmup=1,
        concurrency=concurrency,
        transport=transport,
        deadlines=Deadlines(connect_s=2, first_token_s=0.4, total_s=0.4),
    )
    got = samples["anthropic"]
    assert len(got) == 2 and {s.error.class_ for s in got} == {"timeout"}
    notes, _ = engine.method_notes()
    assert any(n.startswith(f"warm-up: {concurrency} of {concurrency} discarded") for n in notes)
    assert "timeout" in notes[0]


async def test_the_warm_up_never_sends_get_root():
    _, records, _ = await run_engine(
        EmulatorProfile.build(**FAST, root_response="stall"), ALL, n=2, warmup=1, concurrency=4
    )
    assert "/" not in {r.route for r in records}


# 2. The pool is really warm, or the run says it is not.


@pytest.mark.parametrize("transport", ["aiohttp", "httpx2"])
async def test_a_warm_run_opens_no_connection_inside_measured_requests(transport):
    samples, _, engine = await run_engine(
        EmulatorProfile.build(**FAST, root_response="404-close"),
        ALL,
        n=6,
        warmup=1,
        concurrency=8,
        transport=transport,
    )
    got = [s for label in samples for s in samples[label]]
    assert len(got) == 18 and all(s.error is None for s in got)
    assert [s.new_connection for s in got] == [False] * 18
    assert engine.method_notes() == ([], False)


async def test_without_warm_up_the_connections_opened_are_counted_and_noted():
    samples, _, engine = await run_engine(
        EmulatorProfile.build(**FAST), n=8, warmup=0, concurrency=4
    )
    got = samples["anthropic"]
    assert sum(bool(s.new_connection) for s in got) == 4  # one per worker, no more
    assert summarize(got).new_connections == 4
    notes, invalid = engine.method_notes()
    assert notes == [
        "4 of 8 measured requests opened a connection inside the timed window (their TTFT "
        "includes connection set-up): --warmup 0 sends no warm-up request; use --cold to "
        "measure that on purpose"
    ]
    assert not invalid  # asked for: noted, not a lie


def test_a_warm_run_whose_requests_opened_connections_is_not_valid():
    engine = ProbeEngine(
        build_targets(["anthropic"], [], {"ANTHROPIC_API_KEY": "k"}),
        ProbeSettings(env={"ANTHROPIC_API_KEY": "k"}),
        make_prompt(),
        n=100,
        warmup=2,
    )
    engine.finished, engine.new_connections = 100, 5
    assert engine.method_notes()[1] is False  # at most 5 %: noted
    engine.new_connections = 6
    notes, invalid = engine.method_notes()
    assert invalid and "closed connections the warm-up opened" in notes[0]


# 3. No lock-step herd without warm-up.


@pytest.mark.parametrize("warmup", [0, 1])
async def test_workers_start_spread_over_one_request_whatever_the_warm_up(warmup):
    _, records, _ = await run_engine(
        EmulatorProfile.build(**FAST), n=16, warmup=warmup, concurrency=8
    )
    measured = records[-16:]
    firsts = sorted(r.received_ns for r in measured[:8])
    assert len(set(firsts)) == 8  # no two workers sent at once
    if warmup == 0:  # worker 0 went alone; the others waited for its request to end
        assert all(t > measured[0].ended_ns for t in firsts[1:])


# 4. One stamping rule for every protocol.


@pytest.mark.parametrize("transport", ["aiohttp", "httpx2"])
async def test_every_provider_stamps_a_split_first_event_at_its_first_byte(transport):
    samples, records, engine = await run_engine(
        EmulatorProfile.build(**FAST, split_first_event_ms=40), ALL, n=2, transport=transport
    )
    by_id = {r.request_id: r for r in records}
    for label, got in samples.items():
        for s in got:
            assert s.error is None, (label, s.error)
            events = by_id[s.request_id].events
            first = next(i for i, (name, _) in enumerate(events) if name.endswith(":rest")) - 1
            first_byte_ns, rest_ns = events[first][1], events[first + 1][1]
            stamped_ns = absolute_ns(engine, s, s.ttft_ms)
            assert first_byte_ns <= stamped_ns < rest_ns, label  # not the completing chunk


# 6. OpenAI reasoning is not content.


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_reasoning_is_timed_apart_and_ttft_is_the_first_answer_delta(provider):
    samples, records, engine = await run_engine(
        EmulatorProfile.build(**FAST, reasoning_tokens=10), [provider], n=2
    )
    by_id = {r.request_id: r for r in records}
    for s in samples[provider]:
        truth = by_id[s.request_id]
        reasoning = ("reasoning_delta", "thinking_delta")
        first_reasoning = next(ns for label, ns in truth.events if label in reasoning)
        assert s.ttfr_ms < s.ttft_ms
        assert absolute_ns(engine, s, s.ttft_ms) >= truth.first_content_ns  # never early
        assert absolute_ns(engine, s, s.ttfr_ms) >= first_reasoning
        assert absolute_ns(engine, s, s.ttfr_ms) < truth.first_content_ns
        assert s.output_tokens == 18 and s.itl_ms.n == 7
        span_s = (s.ttft_ms + s.generation_ms - s.ttfr_ms) / 1000  # reasoning + answer
        assert s.output_tps == pytest.approx(18 / span_s)


# 7. Buffered streams are named, not graded.


@pytest.mark.parametrize("writes", [1, 2])
@pytest.mark.parametrize("transport", ["aiohttp", "httpx2"])
async def test_a_stream_delivered_in_one_or_two_writes_is_buffered_and_has_no_throughput(
    writes, transport
):
    profile = EmulatorProfile.build(ttft_ms=20, itl_ms=3, output_tokens=16, buffered_writes=writes)
    samples, _, _ = await run_engine(profile, ALL, n=2, transport=transport)
    for label, got in samples.items():
        for s in got:
            assert s.error is None and s.buffered, label
            assert s.output_tps is None and s.itl_ms.mean is None and s.itl_ms.n == 15
        summary = summarize(got)
        assert summary.buffered == 2 and summary.output_tps is None


async def test_a_streamed_answer_is_not_buffered():
    samples, _, _ = await run_engine(EmulatorProfile.build(**FAST), ALL, n=2)
    assert all(not s.buffered and s.output_tps for got in samples.values() for s in got)


def _invoke_chunk(event: dict) -> bytes:
    import base64
    import json

    from sre_latency.emulator.protocols.eventstream import event_frame

    return event_frame("chunk", {"bytes": base64.b64encode(json.dumps(event).encode()).decode()})


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_bedrock_reasoning_is_timed_apart_from_the_answer(api):
    from sre_latency.emulator.protocols.eventstream import event_frame
    from sre_latency.probe.providers.base import StreamState
    from sre_latency.probe.providers.bedrock import ConverseStreamParser, InvokeStreamParser

    def delta(kind: str, text: str) -> bytes:
        if api == "converse":
            body = {"reasoningContent": {"text": text}} if kind == "thinking" else {"text": text}
            return event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": body})
        key = "thinking" if kind == "thinking" else "text"
        inner = {"type": f"{key}_delta", key: text}
        return _invoke_chunk({"type": "content_block_delta", "index": 0, "delta": inner})

    if api == "converse":
        end = [event_frame("messageStop", {"stopReason": "end_turn"}),
               event_frame("metadata", {"usage": {"outputTokens": 4}, "metrics": {}})]  # fmt: skip
        parser = ConverseStreamParser()
    else:
        metrics = {"outputTokenCount": 4, "invocationLatency": 9, "firstByteLatency": 2}
        end = [_invoke_chunk({"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics})]
        parser = InvokeStreamParser()
    frames = [
        delta("thinking", "hm"),
        delta("thinking", "m"),
        delta("text", "Hi"),
        delta("text", "!"),
    ]
    state = StreamState()
    for t, frame in enumerate([*frames, *end], start=1):
        parser.feed(frame, t * 100, state)
    parser.close(state)
    assert state.error is None and state.done
    assert (state.first_reasoning_ns, state.reasoning_deltas) == (100, 2)
    assert (state.first_content_ns, state.content_deltas) == (300, 2)  # TTFT: the answer


async def test_credentials_that_fail_during_the_warm_up_are_one_error_not_a_group():
    from sre_latency.errors import CredentialsError
    from sre_latency.probe.providers.anthropic import AnthropicAdapter

    class Expired(AnthropicAdapter):
        def prepare(self, prompt, max_tokens):
            raise CredentialsError("AWS credentials could not be refreshed; log in again.")

    profile = EmulatorProfile.build(**FAST)
    async with Emulator(profile) as emu, asyncio.timeout(30):
        env = emulator_env({}, emu.base_url, profile)
        targets = build_targets(["anthropic"], [], env)
        settings = ProbeSettings(env=env)
        engine = ProbeEngine(targets, settings, make_prompt(), n=4, warmup=1, concurrency=3,
                             adapters=[Expired(targets[0], settings)])  # fmt: skip
        with pytest.raises(CredentialsError, match="could not be refreshed"):
            await engine.run(lambda i, s: None)


async def test_a_refused_connection_is_an_error_not_a_connection_opened():
    env = {"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
    engine = ProbeEngine(build_targets(["anthropic"], [], env), ProbeSettings(env=env),
                         make_prompt(), n=2, warmup=1)  # fmt: skip
    got: list[Sample] = []
    async with asyncio.timeout(10):
        await engine.run(lambda i, s: got.append(s))
    assert [s.error.class_ for s in got] == ["connection", "connection"]
    assert not any(s.new_connection for s in got)
    notes, invalid = engine.method_notes()
    assert not invalid and len(notes) == 1 and notes[0].startswith("warm-up: 1 of 1 discarded")
