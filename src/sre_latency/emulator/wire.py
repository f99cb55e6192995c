"""Wire behaviours of servers and proxies we did not write, for ``Responder`` to rehearse.

A buffering proxy delivers a whole stream in one or two writes; a slow network splits an event
over two TCP writes. ``Shaper`` applies a ``WireShape`` to one response: it holds buffered
events until their group's time, or cuts the first content event in two. Every event is still
recorded at the moment its bytes were handed to the socket, so the records stay the truth.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from time import perf_counter_ns

from sre_latency.emulator.records import RequestRecord

Event = tuple[int, bytes, str, bool]  # (due perf_counter_ns, chunk payload, label, is content)


@dataclass(frozen=True)
class WireShape:
    """How streamed bodies leave the socket when the emulator plays a proxy or a slow network.

    ``split_first_content_ms``: the first content event goes out in two writes that far apart
    (its record time is the first write's). ``buffered_writes``: 1 holds the whole body until its
    end, 2 writes once at the first content delta and once at the end (each event is still its
    own HTTP chunk; recorded at the time its write went out).
    """

    split_first_content_ms: float = 0.0
    buffered_writes: int = 0


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


class Shaper:
    """Applies a ``WireShape`` to one response: holds buffered events, splits the first one."""

    __slots__ = ("_held", "_record", "_shape", "_split_done", "_writer", "flushed_first")

    def __init__(self, shape: WireShape, writer: asyncio.StreamWriter, record: RequestRecord):
        self._shape, self._writer, self._record = shape, writer, record
        self._held: list[tuple[bytes, str, bool]] = []
        self._split_done = False
        self.flushed_first = False

    def flush(self, trailer: bytes = b"") -> None:
        """Write every held chunk (and ``trailer``) in one write; each is recorded then."""
        if not self._held:
            if trailer:
                self._writer.write(trailer)
            return
        sent_ns = perf_counter_ns()
        self._writer.write(b"".join(_chunk(data) for data, _, _ in self._held) + trailer)
        for _, label, content in self._held:
            self._record.add_event(label, sent_ns, content)
        self._held.clear()

    def _hold(self, data: bytes, label: str, content: bool) -> None:
        self._held.append((data, label, content))
        if content and self._shape.buffered_writes == 2 and not self.flushed_first:
            self.flushed_first = True
            self.flush()

    async def send(self, data: bytes, frame: bytes, label: str, content: bool) -> int:
        if self._shape.buffered_writes:
            self._hold(data, label, content)
            return perf_counter_ns()
        split_ms = self._shape.split_first_content_ms
        if content and split_ms and not self._split_done:
            self._split_done = True
            half = max(1, len(data) // 2)
            sent_ns = perf_counter_ns()
            self._writer.write(_chunk(data[:half]))
            self._record.add_event(label, sent_ns, True)
            await self._writer.drain()
            await _sleep_until(sent_ns + int(split_ms * 1e6))
            self._writer.write(_chunk(data[half:]))
            self._record.add_event(label + ":rest", perf_counter_ns(), False)
            await self._writer.drain()
            return sent_ns
        sent_ns = perf_counter_ns()
        self._writer.write(frame)
        self._record.add_event(label, sent_ns, content)
        await self._writer.drain()
        return sent_ns

    async def play(self, events: list[Event], pump: Callable[[list[Event]], Awaitable[None]]):
        """``events`` through ``pump`` (the responder's timed writer), shaped. Buffered: held
        to their group's last due time and written together. Split: the first content event
        cut in two, its second half ``split_first_content_ms`` after its first went out."""
        if self._shape.buffered_writes:
            for due_ns, data, label, content in events:
                if content and self._shape.buffered_writes == 2 and not self.flushed_first:
                    await _sleep_until(due_ns)
                self._hold(data, label, content)
            await _sleep_until(events[-1][0])
            await self._writer.drain()
            return
        split_ms = self._shape.split_first_content_ms
        first = next((i for i, e in enumerate(events) if e[3]), None)
        if not split_ms or self._split_done or first is None:
            await pump(events)
            return
        self._split_done = True
        due_ns, data, label, _ = events[first]
        half = max(1, len(data) // 2)
        await pump([*events[:first], (due_ns, data[:half], label, True)])
        await _sleep_until(perf_counter_ns() + int(split_ms * 1e6))
        await pump([(perf_counter_ns(), data[half:], label + ":rest", False), *events[first + 1 :]])


async def _sleep_until(due_ns: int) -> None:
    """Never early (uvloop timers may fire up to 1 ms early: sleep again)."""
    while (remaining_ns := due_ns - perf_counter_ns()) > 0:
        await asyncio.sleep(remaining_ns / 1e9)
