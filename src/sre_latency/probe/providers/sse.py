"""Server-sent events framing over bytes: the cheapest correct split of a stream into events.

Why bytes and not lines of text: a streamed request yields one small chunk per token, and the
prober must spend microseconds, not tens of microseconds, per chunk. ``SSEDecoder.feed`` finds
blank-line boundaries with ``bytes.find``, decodes nothing, and leaves JSON parsing to the
adapter, which parses only the events it needs.

What it accepts (the SSE spec, and docs/protocols.md pitfall 3): ``\\n``, ``\\r\\n`` and ``\\r`` line
ends, including a ``\\r\\n`` split across two chunks; events split across chunks at any byte;
several events in one chunk; comment lines (``:``); unknown fields (``id``, ``retry``, ...);
a leading byte-order mark; extra blank lines. An event without a ``data`` line is not dispatched.

Timing: ``feed(chunk, t_ns)`` also records where each event began. After a call that returned
events, ``first_ns`` is the arrival time of the chunk holding the *first* returned event's first
byte (the others began in this chunk), so an event split over two TCP writes is stamped when it
started to arrive, as Bedrock's frames are.
"""

from __future__ import annotations

from typing import NamedTuple

_BOM = b"\xef\xbb\xbf"


class SSEEvent(NamedTuple):
    event: bytes | None  # the ``event:`` field, None when absent
    data: bytes  # ``data:`` lines joined with ``\n``


def parse_block(block: bytes) -> SSEEvent | None:
    """One event's lines (``\\n``-separated, no blank line) → an event, or None if no data."""
    # Fast path for the shape every provider sends: "event: NAME\ndata: JSON" or "data: JSON".
    if block.startswith(b"data: ") and b"\n" not in block:
        return SSEEvent(None, block[6:])
    if block.startswith(b"event: "):
        nl = block.find(b"\n")
        if nl > 0 and block.startswith(b"data: ", nl + 1) and b"\n" not in block[nl + 1 :]:
            return SSEEvent(block[7:nl], block[nl + 7 :])
    event: bytes | None = None
    data: bytes | None = None
    for line in block.split(b"\n"):
        if not line or line[0] == 58:  # blank or ":" comment
            continue
        name, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            data = value if data is None else data + b"\n" + value
        elif name == b"event":
            event = value
    if data is None:
        return None
    return SSEEvent(event, data)


class SSEDecoder:
    """Incremental SSE framer: ``feed(chunk)`` returns the events completed by that chunk."""

    __slots__ = ("_buf", "_buf_ns", "_cr", "_started", "first_ns")

    def __init__(self) -> None:
        self._buf = b""
        self._buf_ns = 0  # arrival time of the chunk where the held, unfinished event began
        self._cr = False  # the previous chunk ended with "\r": it may be half of "\r\n"
        self._started = False
        self.first_ns = 0

    def feed(self, data: bytes, t_ns: int = 0) -> list[SSEEvent]:
        if not self._started:
            if not data:
                return []
            self._started = True
            if data.startswith(_BOM):
                data = data[3:]
        if self._cr:
            data = b"\r" + data
            self._cr = False
        if b"\r" in data:
            if data[-1] == 13:
                data = data[:-1]
                self._cr = True
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        held = self._buf
        buf = held + data if held else data
        self.first_ns = self._buf_ns if held else t_ns
        end = buf.find(b"\n\n")
        if end < 0:
            if not held:  # an event begins here; blank lines before it begin nothing
                buf = buf.lstrip(b"\n") if buf[:1] == b"\n" else buf
                self._buf_ns = t_ns
            self._buf = buf
            return []
        events: list[SSEEvent] = []
        start = 0
        while end >= 0:
            ev = parse_block(buf[start:end])
            if ev is not None:
                events.append(ev)
            elif start == 0:  # the held block (a comment) dispatched nothing: the rest is new
                self.first_ns = t_ns
            start = end + 2
            end = buf.find(b"\n\n", start)
        rest = buf[start:]
        self._buf = rest.lstrip(b"\n") if rest[:1] == b"\n" else rest
        self._buf_ns = t_ns
        return events

    def close(self) -> list[SSEEvent]:
        """End of stream. A held-back final ``\\r`` is a line end after all; a last event not
        followed by a blank line is *not* dispatched (the SSE spec)."""
        events: list[SSEEvent] = []
        if self._cr:
            self._cr = False
            events = self.feed(b"\n", self._buf_ns)
        self._buf = b""
        return events
