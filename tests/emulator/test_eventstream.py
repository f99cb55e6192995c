"""The emulator's event-stream encoder against botocore's decoder, and our Bedrock stream parsers
under arbitrary byte splits and corruption (property-based)."""

from __future__ import annotations

import base64
import json

from botocore.eventstream import EventStreamBuffer
from hypothesis import given, settings
from hypothesis import strategies as st

from sre_latency.emulator.protocols.eventstream import (
    encode_frame,
    error_frame,
    event_frame,
    exception_frame,
)
from sre_latency.probe.providers.base import StreamState
from sre_latency.probe.providers.bedrock import ConverseStreamParser, InvokeStreamParser

header_names = st.text(min_size=1, max_size=20).filter(lambda s: len(s.encode()) < 256)
header_values = st.text(max_size=60)


@given(st.dictionaries(header_names, header_values, max_size=5), st.binary(max_size=2000))
def test_every_encoded_frame_decodes_with_botocore_to_the_same_headers_and_payload(
    headers, payload
):
    buffer = EventStreamBuffer()
    buffer.add_data(encode_frame(headers, payload))
    (message,) = list(buffer)
    assert message.headers == headers
    assert message.payload == payload


def _chunk(event: dict) -> bytes:
    raw = base64.b64encode(json.dumps(event).encode()).decode()
    return event_frame("chunk", {"bytes": raw, "p": "abcdefghij"})


def invoke_stream(tokens: int = 4) -> list[bytes]:
    """The frames of an invoke-with-response-stream body, as the emulator sends them."""
    message = {"id": "msg_1", "type": "message", "role": "assistant", "content": []}
    message["usage"] = {"input_tokens": 12, "output_tokens": 1}
    frames = [
        _chunk({"type": "message_start", "message": message}),
        _chunk({"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}),
    ]
    for i in range(tokens):
        delta = {"type": "text_delta", "text": f" word{i}"}
        frames.append(_chunk({"type": "content_block_delta", "index": 0, "delta": delta}))
    frames.append(_chunk({"type": "content_block_stop", "index": 0}))
    frames.append(_chunk({"type": "message_delta", "usage": {"output_tokens": tokens}}))
    metrics = {
        "inputTokenCount": 12,
        "outputTokenCount": tokens,
        "invocationLatency": 321,
        "firstByteLatency": 123,
    }
    frames.append(_chunk({"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics}))
    return frames


def converse_stream(tokens: int = 4) -> list[bytes]:
    frames = [event_frame("messageStart", {"role": "assistant", "p": "abc"})]
    for i in range(tokens):
        payload = {"contentBlockIndex": 0, "delta": {"text": f" word{i}"}, "p": "abcdef"}
        frames.append(event_frame("contentBlockDelta", payload))
    frames.append(event_frame("contentBlockStop", {"contentBlockIndex": 0}))
    frames.append(event_frame("messageStop", {"stopReason": "max_tokens"}))
    usage = {"inputTokens": 12, "outputTokens": tokens, "totalTokens": 12 + tokens}
    frames.append(event_frame("metadata", {"usage": usage, "metrics": {"latencyMs": 321}}))
    return frames


def feed_split(parser_cls, body: bytes, cuts: list[int]) -> tuple[StreamState, list[int]]:
    """Feed ``body`` in pieces cut at ``cuts``; piece k arrives at time k. Returns state, bounds."""
    bounds = sorted({c for c in cuts if 0 < c < len(body)})
    pieces = [body[a:b] for a, b in zip([0, *bounds], [*bounds, len(body)], strict=True)]
    parser, state = parser_cls(), StreamState()
    for t, piece in enumerate(pieces):
        parser.feed(piece, t, state)
    parser.close(state)
    return state, bounds


def _arrival_of(offset: int, bounds: list[int]) -> int:
    """Index of the piece that holds byte ``offset``."""
    return sum(1 for b in bounds if b <= offset)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=4000), max_size=30))
def test_invoke_parser_gives_the_same_figures_for_any_split_of_the_stream(cuts):
    frames = invoke_stream()
    body = b"".join(frames)
    state, bounds = feed_split(InvokeStreamParser, body, cuts)
    assert state.error is None
    assert state.done
    assert state.content_deltas == 4
    assert (state.input_tokens, state.output_tokens) == (12, 4)
    assert (state.server_latency_ms, state.server_ttft_ms) == (321.0, 123.0)
    # a delta is timed at the arrival of its frame's first byte, not of its last
    first_delta_offset = len(frames[0]) + len(frames[1])
    assert state.first_content_ns == _arrival_of(first_delta_offset, bounds)
    last_delta_offset = sum(len(f) for f in frames[:5])
    assert state.last_content_ns == _arrival_of(last_delta_offset, bounds)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2000), max_size=30))
def test_converse_parser_gives_the_same_figures_for_any_split_of_the_stream(cuts):
    frames = converse_stream()
    state, bounds = feed_split(ConverseStreamParser, b"".join(frames), cuts)
    assert state.error is None
    assert state.done
    assert state.content_deltas == 4
    assert (state.input_tokens, state.output_tokens) == (12, 4)
    assert state.server_latency_ms == 321.0
    assert state.server_ttft_ms is None
    assert state.first_content_ns == _arrival_of(len(frames[0]), bounds)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_corrupted_byte_gives_a_protocol_error_never_an_exception(data):
    parser_cls, frames = data.draw(
        st.sampled_from(
            [(InvokeStreamParser, invoke_stream()), (ConverseStreamParser, converse_stream())]
        )
    )
    body = bytearray(b"".join(frames))
    position = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    body[position] ^= data.draw(st.integers(min_value=1, max_value=255))
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(body)), max_size=10))
    state, _ = feed_split(parser_cls, bytes(body), cuts)
    assert state.error is not None
    assert state.error.class_ == "protocol"


@given(st.integers(min_value=1, max_value=200))
def test_a_stream_cut_inside_a_frame_is_a_truncated_frame(cut_back):
    body = b"".join(converse_stream())
    cut_back = min(cut_back, len(body) - 1)
    state, _ = feed_split(ConverseStreamParser, body[:-cut_back], [])
    assert state.error is not None
    assert state.error.class_ == "protocol"


def test_a_stream_without_its_terminal_events_is_a_protocol_error():
    invoke = invoke_stream()
    state, _ = feed_split(InvokeStreamParser, b"".join(invoke[:-1]), [])
    assert state.error.class_ == "protocol"
    assert "invocationMetrics" in state.error.message
    converse = converse_stream()
    state, _ = feed_split(ConverseStreamParser, b"".join(converse[:-1]), [])
    assert state.error.class_ == "protocol"
    assert "metadata" in state.error.message


def test_a_final_invoke_chunk_without_invocation_metrics_is_a_protocol_error():
    frames = [*invoke_stream()[:-1], _chunk({"type": "message_stop"})]
    state, _ = feed_split(InvokeStreamParser, b"".join(frames), [])
    assert state.error.class_ == "protocol"


def test_an_in_stream_exception_is_a_stream_error_named_by_its_type():
    frames = converse_stream()
    frames.insert(3, exception_frame("throttlingException", "Too many tokens"))
    state, _ = feed_split(ConverseStreamParser, b"".join(frames), [])
    assert state.error.class_ == "stream_error"
    assert state.error.message == "throttlingException: Too many tokens"
    assert state.content_deltas == 2


def test_an_unmodelled_error_frame_is_a_stream_error_with_its_code():
    frames = invoke_stream()
    frames.insert(4, error_frame("InternalFailure", "boom"))
    state, _ = feed_split(InvokeStreamParser, b"".join(frames), [])
    assert state.error.class_ == "stream_error"
    assert state.error.message == "InternalFailure: boom"


def test_an_anthropic_error_event_inside_an_invoke_chunk_is_a_stream_error():
    frames = invoke_stream()
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    frames.insert(3, _chunk(error))
    state, _ = feed_split(InvokeStreamParser, b"".join(frames), [])
    assert state.error.class_ == "stream_error"
    assert state.error.message.startswith("overloaded_error")


def test_a_chunk_whose_bytes_are_not_base64_json_is_a_protocol_error():
    frames = invoke_stream()
    frames.insert(3, event_frame("chunk", {"bytes": "not base64!"}))
    state, _ = feed_split(InvokeStreamParser, b"".join(frames), [])
    assert state.error.class_ == "protocol"


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([InvokeStreamParser, ConverseStreamParser]),
    st.binary(max_size=600),
    st.lists(st.integers(min_value=0, max_value=600), max_size=8),
)
def test_arbitrary_bytes_never_raise_and_end_as_a_protocol_error(parser_cls, body, cuts):
    state, _ = feed_split(parser_cls, body, cuts)
    assert state.error is not None
    assert state.error.class_ == "protocol"
