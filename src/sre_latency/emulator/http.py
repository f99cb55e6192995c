"""A small HTTP/1.1 server core for the emulator: keep-alive, chunked streaming, send-time truth.

Why hand-written: the emulator is the truth source for measuring the prober, so it must keep its
schedule at hundreds of concurrent streams on a 2-core box. A framework adds per-chunk cost and
buffering; here each event is one HTTP chunk handed to the socket with one ``write``. Long
streams go through ``play``: a loop timer callback per event writes it at its due time, with no
coroutine, future or ``drain`` per event (the socket send itself is most of the remaining cost).

Contract (protocol handlers, including ``emulator/bedrock.py``, are written against this)::

    @dataclass
    class Request:                  # one parsed HTTP request
        method: str                 # "POST"
        raw_path: str               # exactly as sent (percent-encoded), without the query
        path: str                   # percent-decoded raw_path
        query: dict[str, str]       # decoded query parameters (last value wins)
        headers: dict[str, str]     # lower-case names
        body: bytes
        received_ns: int            # perf_counter_ns when the request was fully read

    class Responder:                # writes one response on the connection
        async def start(status, headers: list[tuple[str, str]]) -> None
            # status line + headers + "transfer-encoding: chunked"; records headers_sent_ns
        async def send(data: bytes, label: str = "", *, content: bool = False) -> int
            # one HTTP chunk, drained; returns the perf_counter_ns taken just before the write
            # and records (label, ns); content=True marks a content delta (TTFT/ITL truth)
        async def play(events: list[tuple[int, bytes, str, bool]]) -> None
            # fast path: send each (due_ns, data, label, content) as one chunk at its due time
        async def end() -> None     # the terminating zero-length chunk
        async def send_full(status, headers, body: bytes) -> None   # a Content-Length response
        def cut() -> None           # close the connection mid-response (the `connection` fault)
        def close_after() -> None   # `connection: close`, and close once this response is sent
        record: RequestRecord       # the truth record of this request (fill .protocol, .fault …)

    Handler = Callable[[Request, Responder, EmulatorState], Awaitable[None]]

Timestamps come from ``time.perf_counter_ns`` (CLOCK_MONOTONIC on Linux, so they compare with a
client's perf_counter_ns on the same machine, even in another process).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from time import perf_counter_ns

from sre_latency.emulator import http_request as limits
from sre_latency.emulator.http_request import (
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    BadRequest,
    PayloadTooLarge,
    Request,
    read_request,
)
from sre_latency.emulator.records import RequestRecord
from sre_latency.emulator.wire import Event, Shaper, WireShape

__all__ = ["BadRequest", "Event", "HttpServer", "Request", "Responder"]

PLAY_BUFFER_LIMIT_BYTES = (
    256 * 1024
)  # play() pauses while this much is unsent (a client not reading)

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Payload Too Large",
    424: "Failed Dependency",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    529: "Overloaded",
}


class Responder:
    """Writes one response on the connection and records what it sent, and when.

    ``send`` writes one chunk and drains; ``play`` sends a planned list of chunks at their due
    times without a coroutine per event (the path for long streams under heavy concurrency).
    """

    __slots__ = ("_cut", "_keep_alive", "_shape", "_started", "_wire", "_writer", "ended", "record")

    def __init__(
        self,
        writer: asyncio.StreamWriter,
        record: RequestRecord,
        keep_alive: bool,
        shape: WireShape | None = None,
    ):
        self._writer = writer
        self._keep_alive = keep_alive
        self._started = False
        self._cut = False
        self._shape = shape
        self._wire: Shaper | None = None
        self.ended = False
        self.record = record

    def close_after(self) -> None:
        """Answer with ``connection: close`` and close the connection after this response."""
        self._keep_alive = False

    @property
    def started(self) -> bool:
        return self._started

    def _head(self, status: int, headers: list[tuple[str, str]], framing: str) -> bytes:
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
        lines.extend(f"{name}: {value}" for name, value in headers)
        lines.append(framing)
        if not self._keep_alive:
            lines.append("connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        self._started = True
        self.record.status = status
        head = self._head(status, headers, "transfer-encoding: chunked")
        self.record.headers_sent_ns = perf_counter_ns()
        self._writer.write(head)
        await self._writer.drain()

    async def send(self, data: bytes, label: str = "", *, content: bool = False) -> int:
        if not data:
            raise ValueError("an empty chunk would end the body; use end()")
        frame = b"%x\r\n%b\r\n" % (len(data), data)
        if self._shape is not None:
            return await self._shaper().send(data, frame, label, content)
        sent_ns = perf_counter_ns()
        self._writer.write(frame)
        self.record.add_event(label, sent_ns, content)
        await self._writer.drain()
        return sent_ns

    async def play(self, events: list[Event]) -> None:
        """Send each ``(due_ns, data, label, content)`` as one chunk at its due time, in order.

        The fast path for streams: loop timer callbacks write each chunk straight to the
        transport (which sends at once when its buffer is empty), with no coroutine, future or
        ``drain`` per event, so hundreds of concurrent streams keep their schedule. Never early;
        a late event goes out as soon as possible and the next keeps its own due time.
        """
        if not events:
            return
        if self._shape is not None:
            await self._shaper().play(events, self._pump)
            return
        await self._pump(events)

    async def _pump(self, events: list[Event]) -> None:
        await _Pump(self._writer.transport, self.record, events).done

    def _shaper(self) -> Shaper:
        if self._wire is None:
            assert self._shape is not None
            self._wire = Shaper(self._shape, self._writer, self.record)
        return self._wire

    async def end(self) -> None:
        if self._wire is not None:
            self._wire.flush(b"0\r\n\r\n")  # a buffered body and its end in one write
        else:
            self._writer.write(b"0\r\n\r\n")
        self.ended = True
        self.record.ended_ns = perf_counter_ns()
        await self._writer.drain()

    async def send_full(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self._started = True
        self.record.status = status
        head = self._head(status, headers, f"content-length: {len(body)}")
        sent_ns = perf_counter_ns()
        self.record.headers_sent_ns = sent_ns
        self._writer.write(head + body)
        self.record.add_event("body", sent_ns, False)
        self.ended = True
        self.record.ended_ns = sent_ns
        await self._writer.drain()

    def cut(self) -> None:
        """Close mid-response (FIN after what was already sent), so the client sees a short body."""
        self._cut = True
        self.record.outcome = "cut"
        self.record.ended_ns = perf_counter_ns()
        self._writer.transport.close()

    @property
    def reusable(self) -> bool:
        return self._keep_alive and self.ended and not self._cut


class _Pump:
    """Drives ``Responder.play``: one timer callback per due event, retried until not early."""

    __slots__ = ("_events", "_index", "_loop", "_record", "_transport", "done")

    def __init__(
        self, transport: asyncio.WriteTransport, record: RequestRecord, events: list[Event]
    ):
        self._loop = asyncio.get_running_loop()
        self._transport = transport
        self._record = record
        self._events = events
        self._index = 0
        self.done: asyncio.Future[None] = self._loop.create_future()
        self._run(first=True)

    def _run(self, first: bool = False) -> None:
        if self.done.done():
            return
        events, transport, record = self._events, self._transport, self._record
        while self._index < len(events):
            due_ns, data, label, content = events[self._index]
            now_ns = perf_counter_ns()
            if due_ns > now_ns:
                remaining_ns = due_ns - now_ns
                # exact on the first try; a re-try rounds up to whole ms (uvloop fires ~1 ms early)
                delay_s = remaining_ns / 1e9 if first else -(-remaining_ns // 1_000_000) / 1e3
                self._loop.call_later(delay_s, self._run)
                return
            if transport.is_closing():
                self.done.set_exception(ConnectionResetError("the client closed the connection"))
                return
            if transport.get_write_buffer_size() > PLAY_BUFFER_LIMIT_BYTES:
                self._loop.call_later(0.005, self._run)  # the client is not reading: wait
                return
            transport.write(b"%x\r\n%b\r\n" % (len(data), data))
            record.add_event(label, now_ns, content)
            if now_ns - due_ns > record.late_ns_max:
                record.late_ns_max = now_ns - due_ns
            self._index += 1
            first = True
        self.done.set_result(None)


Dispatch = Callable[[Request, Responder], Awaitable[None]]
RecordFactory = Callable[[Request], RequestRecord]
Refuse = Callable[[Request, Responder, int, str], Awaitable[None]]  # the route's error shape


def _set_nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


@dataclass
class HttpServer:
    """Serves ``dispatch`` on host:port; tracks connections so ``close`` ends streams at once."""

    dispatch: Dispatch
    make_record: RecordFactory
    refuse: Refuse | None = None
    shape: WireShape | None = None
    _server: asyncio.base_events.Server | None = None
    _connections: set[asyncio.Task] = field(default_factory=set)

    async def listen(self, host: str, port: int) -> int:
        self._server = await asyncio.start_server(
            self._serve_connection, host, port, limit=MAX_HEADER_BYTES, backlog=2048
        )
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        if self._server is not None:
            await self._server.wait_closed()

    async def _too_large(
        self, exc: PayloadTooLarge, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """413 in the route's own error shape, then the rest of the body read and dropped (a
        client still sending would otherwise get a reset instead of the answer)."""
        request = exc.request
        request.received_ns = perf_counter_ns()
        responder = Responder(writer, self.make_record(request), keep_alive=False)
        message = f"The request body is over {MAX_BODY_BYTES // (1024 * 1024)} MB."
        if self.refuse is not None:
            await self.refuse(request, responder, 413, message)
        cap = limits.DISCARD_LIMIT_BYTES
        left = cap if exc.unread < 0 else min(exc.unread, cap)
        with contextlib.suppress(TimeoutError, ConnectionError, OSError):
            async with asyncio.timeout(limits.BODY_TIMEOUT_S):
                while left > 0 and (chunk := await reader.read(min(left, 1 << 20))):
                    left -= len(chunk)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        _set_nodelay(writer)
        try:
            while True:
                request = await read_request(reader, writer)
                if request is None:
                    break
                keep_alive = request.headers.get("connection", "").lower() != "close"
                responder = Responder(writer, self.make_record(request), keep_alive, self.shape)
                try:
                    await self.dispatch(request, responder)
                finally:
                    if responder.record.ended_ns == 0:
                        responder.record.ended_ns = perf_counter_ns()
                        if responder.record.outcome == "ok":
                            responder.record.outcome = "aborted"
                if not responder.reusable:
                    break
        except PayloadTooLarge as exc:
            await self._too_large(exc, reader, writer)
        except (BadRequest, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # not HTTP we can answer; just close
        except (ConnectionError, OSError):
            pass  # the client went away
        except asyncio.CancelledError:
            pass  # server shutting down
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.transport.close()
