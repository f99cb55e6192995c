"""Anthropic and OpenAI adapters: they read the same bytes the official SDKs read, the same way."""

from __future__ import annotations

import json

import anthropic
import httpx2
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sre_latency.errors import CredentialsError
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers import adapter_class
from sre_latency.probe.providers.base import ProbeSettings, StreamState, Target

# A Messages API stream as the wire carries it (docs/protocols.md): a thinking block then a text block,
# pings, an unknown event type, extra JSON whitespace, CRLF line ends and a comment line.
ANTHROPIC_STREAM = (
    b"event: message_start\r\n"
    b'data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",'
    b'"model":"claude-haiku-4-5","content":[],"stop_reason":null,"stop_sequence":null,'
    b'"usage":{"input_tokens":25,"cache_creation_input_tokens":3,"cache_read_input_tokens":7,'
    b'"output_tokens":1}}}\r\n\r\n'
    b": a comment line\r\n\r\n"
    b"event: content_block_start\r\n"
    b'data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking",'
    b'"thinking":"","signature":""}}\r\n\r\n'
    b'event: ping\r\ndata: {"type": "ping"}\r\n\r\n'
    b"event: content_block_delta\r\n"
    b'data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta",'
    b'"thinking":"Let me think."}}\r\n\r\n'
    b"event: content_block_delta\r\n"
    b'data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta",'
    b'"signature":"c2lnbmF0dXJl"}}\r\n\r\n'
    b'event: content_block_stop\r\ndata: {"type":"content_block_stop","index":0}\r\n\r\n'
    b"event: content_block_start\r\n"
    b'data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}'
    b"\r\n\r\n"
    b"event: content_block_delta\r\n"
    b'data: { "type" : "content_block_delta", "index": 1, "delta": {"type": "text_delta", '
    b'"text": "Hello"} }\r\n\r\n'
    b'event: future_event_type\r\ndata: {"type":"future_event_type","x":1}\r\n\r\n'
    b"event: content_block_delta\r\n"
    b'data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta",'
    b'"text":", world"}}\r\n\r\n'
    b'event: content_block_stop\r\ndata: {"type":"content_block_stop","index":1}\r\n\r\n'
    b"event: message_delta\r\n"
    b'data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},'
    b'"usage":{"output_tokens":12}}\r\n\r\n'
    b'event: message_stop\r\ndata: {"type":"message_stop"}\r\n\r\n'
)

# A Chat Completions stream with include_usage (docs/protocols.md): role chunk with empty content,
# a keep-alive comment, content chunks, the usage chunk with no choices, then [DONE].
OPENAI_STREAM = (
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":'
    b'[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}\n\n'
    b": OPENROUTER PROCESSING\n\n"
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":'
    b'[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}\n\n'
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":'
    b'[{"index":0,"delta":{"content":"lo"},"finish_reason":null}],"usage":null}\n\n'
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":'
    b'[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}\n\n'
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],'
    b'"usage":{"prompt_tokens":21,"completion_tokens":2,"total_tokens":23,'
    b'"prompt_tokens_details":{"cached_tokens":4}}}\n\n'
    b"data: [DONE]\n\n"
)

SETTINGS = ProbeSettings(env={"ANTHROPIC_API_KEY": "sk-test", "OPENAI_API_KEY": "sk-test"})


def adapter(provider: str, base_url: str = "http://127.0.0.1:9"):
    target = Target(provider, provider, "claude-haiku-4-5", base_url)  # type: ignore[arg-type]
    return adapter_class(provider)(target, SETTINGS)


def parse(provider: str, data: bytes, chunk: int | None = None) -> StreamState:
    parser = adapter(provider).parser()
    state = StreamState()
    step = chunk or len(data) or 1
    for t, i in enumerate(range(0, len(data), step)):
        parser.feed(data[i : i + step], 1_000 + t, state)
        if state.error is not None:
            break
    if state.error is None:
        parser.close(state)
    return state


def sse_transport(body: bytes, status: int = 200, headers: dict | None = None):
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            status,
            headers={"content-type": "text/event-stream", **(headers or {})},
            content=body,
        )

    return httpx2.MockTransport(handler)


async def test_anthropic_parser_agrees_with_the_official_sdk_on_deltas_and_usage():
    sdk = anthropic.AsyncAnthropic(
        api_key="sk-test",
        base_url="http://sdk.test",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=sse_transport(ANTHROPIC_STREAM)),
    )
    async with sdk, sdk.messages.stream(model="m", max_tokens=50, messages=[]) as stream:
        events = [e async for e in stream]
        message = await stream.get_final_message()
    deltas = [e.delta.type for e in events if e.type == "content_block_delta"]
    state = parse("anthropic", ANTHROPIC_STREAM)
    assert state.error is None and state.done
    assert state.content_deltas == deltas.count("text_delta") == 2  # the answer
    assert state.reasoning_deltas == deltas.count("thinking_delta") == 1  # thinking, apart
    assert state.input_tokens == message.usage.input_tokens == 25
    assert state.output_tokens == message.usage.output_tokens == 12
    assert state.cache_read_tokens == message.usage.cache_read_input_tokens == 7
    assert state.cache_write_tokens == message.usage.cache_creation_input_tokens == 3


@pytest.mark.parametrize("chunk", [1, 7, 64, None])
def test_anthropic_parser_gives_the_same_state_whatever_the_chunking(chunk):
    whole = parse("anthropic", ANTHROPIC_STREAM)
    split = parse("anthropic", ANTHROPIC_STREAM, chunk)
    assert (split.content_deltas, split.reasoning_deltas, split.output_tokens, split.done) == (
        whole.content_deltas,
        whole.reasoning_deltas,
        whole.output_tokens,
        whole.done,
    )
    assert split.first_content_ns is not None and split.first_content_ns <= split.last_content_ns


def test_deltas_take_the_arrival_time_of_their_chunk():
    parser = adapter("anthropic").parser()
    state = StreamState()
    first = ANTHROPIC_STREAM.index(b"event: content_block_delta")
    parser.feed(ANTHROPIC_STREAM[:first], 100, state)
    parser.feed(ANTHROPIC_STREAM[first:], 250, state)
    assert state.first_content_ns == 250 and state.last_content_ns == 250
    assert state.first_reasoning_ns == 250  # the thinking delta, timed apart
    assert state.gaps_ns == [0]


async def test_openai_parser_agrees_with_the_official_sdk_on_deltas_and_usage():
    sdk = openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="http://sdk.test/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=sse_transport(OPENAI_STREAM)),
    )
    async with sdk:
        stream = await sdk.chat.completions.create(
            model="m", messages=[], stream=True, stream_options={"include_usage": True}
        )
        chunks = [c async for c in stream]
    sdk_deltas = [c for c in chunks if c.choices and c.choices[0].delta.content]
    usage = chunks[-1].usage
    state = parse("openai", OPENAI_STREAM)
    assert state.error is None and state.done
    assert state.content_deltas == len(sdk_deltas) == 2
    assert state.input_tokens == usage.prompt_tokens == 21
    assert state.output_tokens == usage.completion_tokens == 2
    assert state.cache_read_tokens == usage.prompt_tokens_details.cached_tokens == 4


async def test_a_mid_stream_error_event_is_a_stream_error_that_the_sdk_also_raises():
    body = ANTHROPIC_STREAM.split(b"event: content_block_stop")[0] + (
        b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error",'
        b'"message":"Overloaded"},"request_id":"req_1"}\n\n'
    )
    sdk = anthropic.AsyncAnthropic(
        api_key="sk-test",
        base_url="http://sdk.test",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=sse_transport(body)),
    )
    with pytest.raises(anthropic.APIStatusError):
        async with sdk, sdk.messages.stream(model="m", max_tokens=50, messages=[]) as stream:
            async for _ in stream:
                pass
    state = parse("anthropic", body)
    assert state.error is not None and state.error.class_ == "stream_error"
    assert "overloaded_error" in state.error.message


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("anthropic", ANTHROPIC_STREAM.split(b"event: message_stop")[0]),
        ("openai", OPENAI_STREAM.replace(b"data: [DONE]\n\n", b"")),
    ],
)
def test_a_stream_that_ends_without_its_terminal_event_is_a_protocol_error(provider, body):
    state = parse(provider, body)
    assert state.error is not None and state.error.class_ == "protocol"


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_malformed_json_in_an_event_is_a_protocol_error_not_an_exception(provider):
    state = parse(provider, b'event: content_block_delta\ndata: {"type": "content_bl\n\n')
    assert state.error is not None and state.error.class_ == "protocol"


@pytest.mark.parametrize(
    "body",
    [
        b'data: {"error":{"message":"Rate limit reached","type":"rate_limit_exceeded"}}\n\n',
        b'data: {"object":"error","message":"engine died","type":"InternalServerError"}\n\n',
    ],
)
def test_openai_gateway_error_chunks_are_stream_errors(body):
    state = parse("openai", OPENAI_STREAM.split(b"\n\n")[0] + b"\n\n" + body)
    assert state.error is not None and state.error.class_ == "stream_error"


@pytest.mark.parametrize(
    ("status", "error_type", "expected"),
    [
        (400, "invalid_request_error", "client"),
        (401, "authentication_error", "auth"),
        (403, "permission_error", "auth"),
        (404, "not_found_error", "client"),
        (413, "request_too_large", "client"),
        (429, "rate_limit_error", "rate_limit"),
        (500, "api_error", "server"),
        (529, "overloaded_error", "overloaded"),
    ],
)
def test_anthropic_http_errors_map_to_their_class(status, error_type, expected):
    body = json.dumps(
        {"type": "error", "error": {"type": error_type, "message": "m"}, "request_id": "req_1"}
    ).encode()
    err = adapter("anthropic").error_from_response(status, {}, body)
    assert (err.class_, err.status) == (expected, status)
    assert error_type in err.message


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, "client"),
        (401, "auth"),
        (403, "auth"),
        (429, "rate_limit"),
        (500, "server"),
        (503, "overloaded"),
    ],
)
def test_openai_http_errors_map_to_their_class(status, expected):
    body = b'{"error":{"message":"m","type":"some_error","param":null,"code":null}}'
    assert adapter("openai").error_from_response(status, {}, body).class_ == expected


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
async def test_the_prepared_request_carries_what_the_official_sdk_sends(provider):
    seen: dict[str, httpx2.Request] = {}

    def capture(request: httpx2.Request) -> httpx2.Response:
        seen["sdk"] = request
        body = ANTHROPIC_STREAM if provider == "anthropic" else OPENAI_STREAM
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    client = httpx2.AsyncClient(transport=httpx2.MockTransport(capture))
    prompt = make_prompt("small")
    messages = [{"role": "user", "content": prompt.user}]
    if provider == "anthropic":
        sdk = anthropic.AsyncAnthropic(
            api_key="sk-test", base_url="http://h.test", max_retries=0, http_client=client
        )
        async with (
            sdk,
            sdk.messages.stream(
                model="claude-haiku-4-5", max_tokens=64, messages=messages
            ) as stream,
        ):
            await stream.get_final_message()
    else:
        sdk = openai.AsyncOpenAI(
            api_key="sk-test", base_url="http://h.test/v1", max_retries=0, http_client=client
        )
        async with sdk:
            stream = await sdk.chat.completions.create(
                model="claude-haiku-4-5",
                max_tokens=64,
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
            )
            async for _ in stream:
                pass
    ours = adapter(provider, "http://h.test" + ("/v1" if provider == "openai" else "")).prepare(
        prompt, 64
    )
    sdk_request = seen["sdk"]
    assert ours.url == str(sdk_request.url)
    sdk_body, our_body = json.loads(sdk_request.content), json.loads(ours.content)
    for key in sdk_body:
        assert our_body[key] == sdk_body[key], key
    assert ours.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("provider", "variable"), [("anthropic", "ANTHROPIC_API_KEY"), ("openai", "OPENAI_API_KEY")]
)
def test_a_missing_key_names_the_variable_and_suggests_emulate(provider, variable):
    target = Target(provider, provider, "m", "http://127.0.0.1:9")  # type: ignore[arg-type]
    with pytest.raises(CredentialsError, match=rf"{variable}.*--emulate"):
        adapter_class(provider)(target, ProbeSettings(env={}))


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=20),
    index=st.integers(0, 99),
    kind=st.sampled_from(["text_delta", "thinking_delta", "input_json_delta", "signature_delta"]),
)
def test_the_compact_delta_shortcut_agrees_with_parsing_the_json(text, index, kind):
    key = {"text_delta": "text", "thinking_delta": "thinking"}.get(kind, "partial_json")
    event = {"type": "content_block_delta", "index": index, "delta": {"type": kind, key: text}}
    payload = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    chunk = b"event: content_block_delta\ndata: " + payload + b"\n\n"
    fast = parse("anthropic", chunk + b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    assert fast.error is None
    assert fast.content_deltas == (1 if kind == "text_delta" and text else 0)
    assert fast.reasoning_deltas == (1 if kind == "thinking_delta" and text else 0)
    spaced = json.dumps(event).encode()  # not the compact form: always parsed
    slow = parse("anthropic", b"event: content_block_delta\ndata: " + spaced + b"\n\n")
    assert (slow.content_deltas, slow.reasoning_deltas) == (
        fast.content_deltas,
        fast.reasoning_deltas,
    )


@pytest.mark.parametrize(
    ("provider", "variable", "body"),
    [
        (
            "anthropic",
            "ANTHROPIC_API_KEY",
            '{{"type":"error","error":{{"type":"authentication_error",'
            '"message":"invalid x-api-key {key}"}}}}',
        ),
        (
            "openai",
            "OPENAI_API_KEY",
            '{{"error":{{"message":"Invalid proxy token {key}",'
            '"type":"auth_error","code":"401"}}}}',
        ),
    ],
)
def test_a_gateway_that_echoes_the_refused_key_never_gets_it_into_the_sample(
    provider, variable, body
):
    key = "sk-gateway-echo-0123456789"
    target = Target(provider, provider, "m", "http://127.0.0.1:9")
    adapter = adapter_class(provider)(target, ProbeSettings(env={variable: key}))
    error = adapter.error_from_response(401, {}, body.format(key=key).encode())
    assert error.class_ == "auth" and error.status == 401
    assert key not in error.message and "[redacted]" in error.message
