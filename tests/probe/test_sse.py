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


def test_an_event_split_over_two_chunks_is_timed_by_the_chunk_where_it_began():
    decoder = SSEDecoder()
    assert decoder.feed(b"event: a\ndata: 1\n\nevent: b\nda", 100) == [SSEEvent(b"a", b"1")]
    assert decoder.first_ns == 100
    assert decoder.feed(b"ta: 2\n\nevent: c\ndata: 3\n\n", 250) == [
        SSEEvent(b"b", b"2"),
        SSEEvent(b"c", b"3"),
    ]
    assert decoder.first_ns == 100  # b began with the first chunk; c with this one


def test_blank_lines_left_over_from_a_chunk_do_not_date_the_next_event():
    decoder = SSEDecoder()
    decoder.feed(b"data: 1\n\n\n", 100)  # an extra blank line after the event
    assert decoder.feed(b"data: 2\n\n", 250) == [SSEEvent(None, b"2")]
    assert decoder.first_ns == 250
    decoder.feed(b"\n", 300)  # a chunk of nothing but a line end
    assert decoder.feed(b"data: 3\n\n", 400) == [SSEEvent(None, b"3")]
    assert decoder.first_ns == 400


def test_a_comment_held_from_an_earlier_chunk_does_not_date_the_event_after_it():
    decoder = SSEDecoder()
    decoder.feed(b": keep-al", 100)
    assert decoder.feed(b"ive\n\ndata: 1\n\n", 250) == [SSEEvent(None, b"1")]
    assert decoder.first_ns == 250


@given(
    st.lists(_event, min_size=1, max_size=6),
    st.lists(_eol, min_size=1, max_size=3),
    st.booleans(),
    st.integers(0, 2),
    st.lists(st.integers(0, 10_000), max_size=8),
)
@settings(max_examples=300)
def test_every_event_is_timed_by_the_chunk_holding_its_first_byte(
    events, eols, comments, padding, cuts
):
    data, starts = b"", []
    for i, (name, data_lines) in enumerate(events):
        eol = eols[i % len(eols)]
        starts.append(len(data))
        lines = [f": note {i}"] if comments else []
        lines += [f"event: {name}"] if name is not None else []
        lines += [f"data: {line}" for line in data_lines]
        data += (eol.join(lines) + eol + eol + eol * padding).encode()
    chunks = _split(data, cuts)
    bounds, offset = [], 0
    for chunk in chunks:
        bounds.append(offset)
        offset += len(chunk)

    def chunk_time(pos: int) -> int:
        return 1000 * (max(k for k, b in enumerate(bounds) if b <= pos and b < len(data)) + 1)

    decoder, stamps = SSEDecoder(), []
    for k, chunk in enumerate(chunks):
        got = decoder.feed(chunk, 1000 * (k + 1))
        stamps += [decoder.first_ns if j == 0 else 1000 * (k + 1) for j in range(len(got))]
    stamps += [decoder.first_ns for _ in decoder.close()]
    assert stamps == [chunk_time(p) for p in starts]
