"""The aiohttp transport: the streaming hot path for many concurrent streams.

Chosen by measurement (docs/benchmark.md): on this project's 2-core reference machine httpx2's
pure-Python HTTP/1.1 parsing cost several CPU-ms per 64-token stream and collapsed at 128
concurrent streams, while aiohttp's C parser stays near 2-3 CPU-ms per stream. Same interface,
same deadlines, same rules as ``transport.HttpxTransport``. Body bytes are stamped in aiohttp's
socket callback (see ``_stamped_reader_class``), so a busy event loop delays their parsing but
not their timestamps.
"""

from __future__ import annotations

import asyncio
import ssl
from time import perf_counter_ns

from sre_latency.probe.providers.base import sample_error
from sre_latency.probe.transport.base import (
    Exchange,
    Transport,
    deadline_exceeded,
    read_limited,
)


class AiohttpTransport(Transport):
    """aiohttp: a C HTTP parser and ``iter_any()`` raw chunks, for many concurrent streams.

    TTFB is taken when aiohttp hands back the response (headers parsed); ``t_sent`` when the
    last request body chunk was written (trace signal). aiohttp reports connection set-up as one
    phase, so ``tls_ms`` stays null and ``connect_ms`` covers TCP and TLS: ``--cold`` runs use
    httpx2, which reports them apart.
    """

    name = "aiohttp"

    def __init__(self, *, cold: bool = False, connect_timeout_s: float = 10.0):
        super().__init__(cold=cold, connect_timeout_s=connect_timeout_s)
        import aiohttp
        from yarl import URL

        self._aiohttp = aiohttp
        self._stamped_class = _stamped_reader_class(aiohttp.StreamReader)
        self._url = URL  # encoded=True: send the path exactly as signed (Bedrock's "%3A")
        trace = aiohttp.TraceConfig()
        trace.on_request_chunk_sent.append(_aio_mark("t_sent"))
        trace.on_request_headers_sent.append(_aio_mark("t_sent"))
        trace.on_connection_create_start.append(_aio_mark("t_connect_start"))
        trace.on_connection_create_end.append(_aio_mark("t_connect_end"))
        trace.on_dns_resolvehost_start.append(_aio_mark("t_dns_start"))
        trace.on_dns_resolvehost_end.append(_aio_mark("t_dns_end"))
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, force_close=cold, enable_cleanup_closed=False),
            timeout=aiohttp.ClientTimeout(total=None, connect=connect_timeout_s),
            auto_decompress=False,
            trace_configs=[trace],
            skip_auto_headers=("User-Agent",),
            trust_env=True,  # HTTP(S)_PROXY / NO_PROXY, as httpx2 and the official SDKs do
        )

    async def exchange(self, req, parser, state, x, first_token_s, total_s):
        now = asyncio.get_running_loop().time()
        first_at, total_at = now + first_token_s, now + total_s
        waiting_first = first_at < total_at
        try:
            async with asyncio.timeout_at(first_at if waiting_first else total_at) as deadline:
                x.t_start = perf_counter_ns()
                response = await self._session.request(
                    req.method,
                    self._url(req.url, encoded=True),
                    headers={**req.headers, "accept-encoding": "identity"},
                    data=req.content,
                    allow_redirects=False,
                    trace_request_ctx=x,
                )
                x.t_headers = perf_counter_ns()
                try:
                    x.status = status = response.status
                    x.headers = response.headers
                    if not 200 <= status < 300:
                        x.body = await read_limited(response.content.iter_any())
                        x.t_end = perf_counter_ns()
                        return
                    reader = response.content
                    arrivals = _stamp_arrivals(reader, self._stamped_class)
                    feed = parser.feed
                    first_read = True
                    async for chunk in reader.iter_any():
                        now_ns = perf_counter_ns()
                        # Each piece aiohttp received is fed with its own arrival time; bytes
                        # that came with the headers (before the hook) with the headers' time.
                        unstamped = len(chunk) - sum(size for _, size in arrivals.pieces)
                        pos = 0
                        if unstamped > 0:
                            feed(chunk[:unstamped], x.t_headers if first_read else now_ns, state)
                            pos = unstamped
                        for t, size in arrivals.pieces:
                            if state.error is not None:
                                break
                            feed(chunk[pos : pos + size], t, state)
                            pos += size
                        arrivals.pieces.clear()
                        first_read = False
                        if state.error is not None:
                            break
                        if waiting_first and state.first_content_ns is not None:
                            deadline.reschedule(total_at)
                            waiting_first = False
                    x.t_end = arrivals.eof_ns or perf_counter_ns()
                    if state.error is None:
                        parser.close(state)
                finally:
                    _ARRIVALS.pop(id(response.content), None)
                    response.release() if state.error is None else response.close()
        except TimeoutError as exc:
            x.t_end = perf_counter_ns()
            if isinstance(exc, self._aiohttp.ClientError):  # aiohttp's own connect timeout
                raise
            raise deadline_exceeded(state, first_at, total_at, first_token_s, total_s) from None

    def classify(self, exc):
        aiohttp = self._aiohttp
        if isinstance(exc, aiohttp.ConnectionTimeoutError | aiohttp.ServerTimeoutError):
            return sample_error("timeout", f"no connection within {self.connect_timeout_s:g} s")
        if isinstance(exc, aiohttp.ClientResponseError):  # malformed HTTP from the server
            return sample_error("protocol", f"{type(exc).__name__}: {exc.message}")
        if isinstance(exc, aiohttp.ClientError | OSError | ssl.SSLError):
            return sample_error("connection", f"{type(exc).__name__}: {exc}")
        return None

    async def _touch(self, url: str) -> None:
        async with self._session.get(url) as response:
            await response.read()

    async def aclose(self):
        await self._session.close()


class _Arrivals:
    __slots__ = ("eof_ns", "pieces")

    def __init__(self) -> None:
        self.pieces: list[tuple[int, int]] = []  # (perf_counter_ns, byte count) per piece
        self.eof_ns = 0


_ARRIVALS: dict[int, _Arrivals] = {}  # id(reader) → its arrivals, while its exchange runs


def _stamped_reader_class(stream_reader: type) -> type:
    """aiohttp's ``StreamReader`` whose ``feed_data``/``feed_eof`` record arrival times.

    Under load the coroutine that reads a chunk resumes one or more event-loop iterations after
    the bytes arrived; aiohttp's parser calls ``feed_data``/``feed_eof`` from the socket callback
    itself, so stamping there gives each piece its true arrival time. The subclass adds no slots,
    so a response's reader can be switched to it in place.
    """

    class StampedStreamReader(stream_reader):
        __slots__ = ()

        def feed_data(self, data: bytes, size: int = 0) -> bool:
            if data and (arrivals := _ARRIVALS.get(id(self))) is not None:
                arrivals.pieces.append((perf_counter_ns(), len(data)))
            return super().feed_data(data, size)

        def feed_eof(self) -> None:
            if (arrivals := _ARRIVALS.get(id(self))) is not None:
                arrivals.eof_ns = perf_counter_ns()
            super().feed_eof()

    return StampedStreamReader


def _stamp_arrivals(reader, stamped_class: type) -> _Arrivals:
    """Start stamping ``reader``; if its class cannot be switched, pieces stay empty and the
    read loop stamps at read time instead."""
    arrivals = _Arrivals()
    try:
        reader.__class__ = stamped_class
    except TypeError:
        return arrivals
    _ARRIVALS[id(reader)] = arrivals
    return arrivals


def _aio_mark(attr: str):
    async def mark(session, ctx, params) -> None:
        x = ctx.trace_request_ctx
        if isinstance(x, Exchange):
            setattr(x, attr, perf_counter_ns())

    return mark
