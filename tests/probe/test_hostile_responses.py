"""A gateway must never crash the instrument measuring it: each hostile response below (the
minimal crash inputs of issue 12) is one sample's classified error, and the run goes on."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from gateway import Gateway, fixed
from sre_latency.emulator.protocols.eventstream import encode_frame
from sre_latency.probe.engine import ProbeEngine
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers import adapter_class
from sre_latency.probe.providers.base import ProbeSettings, StreamState, Target

DEEP = b"[" * 3000
AWS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s" * 40,
       "AWS_REGION": "us-east-1"}  # fmt: skip
ENV = {"ANTHROPIC_API_KEY": "sk-test", "OPENAI_API_KEY": "sk-test", **AWS}


def adapter(provider: str, base_url: str = "http://127.0.0.1:9", api: str = "invoke"):
    target = Target(provider, provider, "haiku-4.5", base_url)  # type: ignore[arg-type]
    return adapter_class(provider)(target, ProbeSettings(env=ENV, bedrock_api=api))


def event(event_type: str, payload: bytes) -> bytes:
    return encode_frame(
        {":message-type": "event", ":event-type": event_type, ":content-type": "application/json"},
        payload,
    )


def chunk(anthropic_event: bytes) -> bytes:
    return event(
        "chunk", json.dumps({"bytes": base64.b64encode(anthropic_event).decode()}).encode()
    )


def sse(*datas: bytes, name: bytes | None = None) -> bytes:
    head = b"event: " + name + b"\n" if name else b""
    return b"".join(head + b"data: " + d + b"\n\n" for d in datas)


STREAMS = {
    "anthropic-delta-type-list": ("anthropic", "invoke", sse(
        b'{"type":"content_block_delta","index":0,"delta":{"type":[]}}',
        name=b"content_block_delta")),
    "anthropic-deep-data": ("anthropic", "invoke", sse(DEEP)),
    "anthropic-deep-named": ("anthropic", "invoke", sse(DEEP, name=b"message_start")),
    "anthropic-error-of-lists": ("anthropic", "invoke", sse(
        b'{"type":"error","error":{"type":[],"message":{"a":1}}}', name=b"error")),
    "openai-choices-number": ("openai", "invoke", sse(b'{"choices":5}')),
    "openai-deep-data": ("openai", "invoke", sse(DEEP)),
    "openai-error-of-lists": ("openai", "invoke", sse(b'{"error":{"type":{},"message":[1]}}')),
    "bedrock-chunk-delta-type-list": ("bedrock", "invoke", chunk(
        b'{"type":"content_block_delta","index":0,"delta":{"type":[]}}')),
    "bedrock-chunk-deep": ("bedrock", "invoke", chunk(DEEP)),
    "bedrock-converse-deep": ("bedrock", "converse", event("contentBlockDelta", DEEP)),
    "bedrock-exception-of-lists": ("bedrock", "converse", encode_frame(
        {":message-type": "exception", ":exception-type": "throttlingException"},
        b'{"message":[[1]]}')),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_a_hostile_stream_is_a_classified_sample_error_never_an_exception(name):
    provider, api, body = STREAMS[name]
    parser = adapter(provider, api=api).parser()
    state = StreamState()
    for i in range(0, len(body), 7):  # split anywhere, as a network would
        parser.feed(body[i : i + 7], 1000 + i, state)
        if state.error is not None:
            break
    if state.error is None:
        parser.close(state)
    assert state.error is not None
    assert state.error.class_ in ("protocol", "stream_error")


def test_figures_no_run_file_can_hold_are_dropped_not_raised():
    body = chunk(
        b'{"type":"message_stop","amazon-bedrock-invocationMetrics":{"invocationLatency":1'
        + b"0" * 400
        + b',"firstByteLatency":12,"outputTokenCount":1'
        + b"0" * 30
        + b"}}"
    )
    parser, state = adapter("bedrock").parser(), StreamState()
    parser.feed(body, 1000, state)
    parser.close(state)
    assert state.error is None and state.done
    assert (state.server_latency_ms, state.server_ttft_ms, state.output_tokens) == (None, 12, None)


ERROR_BODIES = [
    DEEP,
    b'{"error":' + DEEP,
    b'{"type":"error","error":{"type":[],"message":{"x":[1]}}}',
    b'{"error":{"type":{},"code":[],"message":[1]},"message":{},"__type":[1]}',
    b'{"message":[[[]]],"Message":{}}',
    b"\xff\xfe not utf-8",
]


@pytest.mark.parametrize("provider", ["anthropic", "openai", "bedrock"])
@pytest.mark.parametrize("body", ERROR_BODIES, ids=range(len(ERROR_BODIES)))
def test_any_error_body_is_classified_by_its_status(provider, body):
    error = adapter(provider).error_from_response(503, {}, body)
    assert error.class_ in ("overloaded", "server")
    assert error.status == 503 and len(error.message) <= 300


async def run_engine(provider: str, base_url: str, n: int = 3, api: str = "invoke", **kw):
    target = Target(provider, provider, "haiku-4.5", base_url)  # type: ignore[arg-type]
    settings = ProbeSettings(env=ENV, bedrock_api=api)
    engine = ProbeEngine([target], settings, make_prompt(), n=n, warmup=0, **kw)
    samples = []
    async with asyncio.timeout(30):
        await engine.run(lambda i, s: samples.append(s))
    return samples


@pytest.mark.parametrize("name", sorted(STREAMS))
async def test_the_engine_measures_every_request_of_a_hostile_gateway(name):
    provider, api, body = STREAMS[name]
    content_type = "application/vnd.amazon.eventstream" if provider == "bedrock" else None
    headers = {"content-type": content_type} if content_type else {}
    with Gateway(fixed(200, [body], headers)) as gw:
        samples = await run_engine(provider, gw.base_url, api=api)
    assert len(samples) == 3
    assert {s.error.class_ for s in samples} <= {"protocol", "stream_error"}


@pytest.mark.parametrize("provider", ["anthropic", "openai", "bedrock"])
async def test_a_deeply_nested_error_body_is_an_http_error_sample(provider):
    with Gateway(fixed(500, [DEEP], {"content-type": "application/json"})) as gw:
        samples = await run_engine(provider, gw.base_url)
    assert [(s.error.class_, s.error.status) for s in samples] == [("server", 500)] * 3


@pytest.mark.parametrize("transport", ["httpx2", "aiohttp"])
async def test_a_parser_that_raises_is_that_samples_protocol_error_not_a_dead_run(
    monkeypatch, transport
):
    from sre_latency.probe.providers.anthropic import AnthropicStreamParser

    def broken(self, data, t_ns, state):
        raise TypeError("unhashable type: 'list'")

    monkeypatch.setattr(AnthropicStreamParser, "feed", broken)
    with Gateway(fixed(200, [sse(b'{"type":"message_stop"}')])) as gw:
        samples = await run_engine("anthropic", gw.base_url, transport=transport)
    assert [s.error.class_ for s in samples] == ["protocol"] * 3
    assert "unexpected TypeError during the exchange" in samples[0].error.message


async def test_an_error_classifier_that_raises_is_that_samples_protocol_error(monkeypatch):
    from sre_latency.probe.providers.openai import OpenAIAdapter

    def broken(self, status, headers, body):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(OpenAIAdapter, "error_from_response", broken)
    with Gateway(fixed(429, [b"{}"], {"content-type": "application/json"})) as gw:
        samples = await run_engine("openai", gw.base_url)
    assert [(s.error.class_, s.error.status) for s in samples] == [("protocol", 429)] * 3
