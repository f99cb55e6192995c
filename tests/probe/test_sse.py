"""The byte-level SSE framer: any chunking, any line ending, comments and noise give the same events."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sre_latency.probe.providers.sse import SSEDecoder, SSEEvent

# Field values never contain line breaks (the SSE spec); data may contain ":" and spaces.
_value = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
    max_size=40,
)
_name = st.sampled_from(["message_start", "content_block_delta", "ping", "error", "x-unknown"])
_event = st.tuples(st.one_of(st.none(), _name), st.lists(_value, min_size=1, max_size=3))
_eol = st.sampled_from(["\n", "\r\n", "\r"])


def _encode(events, eols, comments, padding) -> bytes:
    """Serialise events with the given line ends, interleaved comments, unknown fields and blank lines."""
    out: list[str] = []
    for i, (name, data_lines) in enumerate(events):
        eol = eols[i % len(eols)]
        if comments:
            out.append(f": keep-alive {i}{eol}")
        if name is not None:
            out.append(f"event: {name}{eol}")
        out.append(f"id: {i}{eol}")  # unknown to us: ignored
        for line in data_lines:
            out.append(f"data: {line}{eol}")
        out.append(eol)
        out.append(eol * padding)  # extra blank lines between events
    return "".join(out).encode()


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks, last = [], 0
    for p in points:
        chunks.append(data[last:p])
        last = p
    chunks.append(data[last:])
    return chunks


def _expected(events) -> list[SSEEvent]:
    return [
        SSEEvent(None if name is None else name.encode(), "\n".join(lines).encode())
        for name, lines in events
    ]


def _decode(chunks: list[bytes]) -> list[SSEEvent]:
    dec = SSEDecoder()
    got: list[SSEEvent] = []
    for chunk in chunks:
        got.extend(dec.feed(chunk))
    got.extend(dec.close())
    return got


@settings(max_examples=300, deadline=None)
@given(
    events=st.lists(_event, max_size=8),
    eols=st.lists(_eol, min_size=1, max_size=3),
    comments=st.booleans(),
    padding=st.integers(0, 2),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
)
def test_any_chunking_and_line_ending_yields_the_same_events(events, eols, comments, padding, cuts):
    data = _encode(events, eols, comments, padding)
    assert _decode(_split(data, cuts)) == _expected(events)


@settings(max_examples=200, deadline=None)
@given(events=st.lists(_event, min_size=1, max_size=5), eol=_eol)
def test_one_byte_at_a_time_yields_the_same_events(events, eol):
    data = _encode(events, [eol], comments=True, padding=1)
    assert _decode([data[i : i + 1] for i in range(len(data))]) == _expected(events)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=10))
def test_arbitrary_bytes_never_raise(chunks):
    dec = SSEDecoder()
    for chunk in chunks:
        for event in dec.feed(chunk):
            assert isinstance(event.data, bytes)
    dec.close()


def test_a_byte_order_mark_at_the_start_is_skipped():
    dec = SSEDecoder()
    assert dec.feed(b"\xef\xbb\xbfdata: x\n\n") == [SSEEvent(None, b"x")]


def test_an_event_without_data_is_not_dispatched_and_a_cut_event_is_dropped():
    dec = SSEDecoder()
    assert dec.feed(b"event: ping\n\n: comment only\n\ndata: partial") == []
    assert dec.close() == []
    assert dec.feed(b"data: next\n\n") == [SSEEvent(None, b"next")]  # nothing of it survives


def test_a_crlf_split_between_chunks_is_one_line_end_not_two():
    dec = SSEDecoder()
    assert dec.feed(b"data: a\r") == []
    assert dec.feed(b"\ndata: b\r\n\r\n") == [SSEEvent(None, b"a\nb")]
