"""The aiohttp transport: the streaming hot path for many concurrent streams.

Chosen by measurement (docs/benchmark.md): on this project's 2-core reference machine httpx2's
pure-Python HTTP/1.1 parsing cost several CPU-ms per 64-token stream and collapsed at 128
concurrent streams, while aiohttp's C parser stays near 2-3 CPU-ms per stream. Same interface,
same deadlines, same rules as ``transport.HttpxTransport``. The response headers (TTFB) and
every body piece are stamped in aiohttp's socket callback (``_stamped_protocol_class``), so a
busy event loop delays their parsing but not their timestamps.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections import deque
from time import perf_counter_ns

from sre_latency.probe.providers.base import sample_error
from sre_latency.probe.transport.base import (
    KEEPALIVE_S,
    Exchange,
    Transport,
    deadline_exceeded,
    read_limited,
)


class AiohttpTransport(Transport):
    """aiohttp: a C HTTP parser and ``iter_any()`` raw chunks, for many concurrent streams.

    TTFB is the arrival of the socket read that completed the response headers, stamped in the
    protocol's ``data_received`` callback, as the body pieces are; ``t_sent`` when the last
    request body chunk was written (trace signal). aiohttp reports connection set-up as one
    phase, so ``tls_ms`` stays null and ``connect_ms`` covers TCP and TLS: ``--cold`` runs and
    latency-budget use httpx2, which reports them apart.
    """

    name = "aiohttp"

    def __init__(self, *, cold: bool = False, connect_timeout_s: float = 10.0):
        super().__init__(cold=cold, connect_timeout_s=connect_timeout_s)
        import aiohttp
        from aiohttp.client_proto import ResponseHandler
        from yarl import URL

        self._aiohttp = aiohttp
        self._url = URL  # encoded=True: send the path exactly as signed (Bedrock's "%3A")
        trace = aiohttp.TraceConfig()
        trace.on_request_chunk_sent.append(_aio_mark("t_sent"))
        trace.on_request_headers_sent.append(_aio_mark("t_sent"))
        trace.on_connection_create_start.append(_aio_mark("t_connect_start"))
        trace.on_connection_create_end.append(_aio_mark("t_connect_end"))
        trace.on_dns_resolvehost_start.append(_aio_mark("t_dns_start"))
        trace.on_dns_resolvehost_end.append(_aio_mark("t_dns_end"))
        keep = {"force_close": True} if cold else {"keepalive_timeout": KEEPALIVE_S}
        connector = aiohttp.TCPConnector(limit=0, enable_cleanup_closed=False, **keep)
        if hasattr(connector, "_factory"):  # else: stamped when the coroutine reads (fallback)
            stamped = _stamped_protocol_class(ResponseHandler)
            connector._factory = functools.partial(stamped, loop=connector._loop)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None, connect=connect_timeout_s),
            auto_decompress=False,
            trace_configs=[trace],
            skip_auto_headers=("User-Agent",),
            trust_env=False,  # HTTP(S)_PROXY / NO_PROXY: read once per origin below
        )
        self._routes: dict[tuple, dict] = {}  # origin → its proxy from the environment

    async def exchange(self, req, parser, state, x, first_token_s, total_s):
        now = asyncio.get_running_loop().time()
        first_at, total_at = now + first_token_s, now + total_s
        waiting_first = first_at < total_at
        url = self._url(req.url, encoded=True)
        route = self._routes.get((url.scheme, url.host, url.port))
        if route is None:
            route = self._routes[(url.scheme, url.host, url.port)] = _env_route(url)
        try:
            async with asyncio.timeout_at(first_at if waiting_first else total_at) as deadline:
                x.t_start = perf_counter_ns()
                response = await self._session.request(
                    req.method,
                    url,
                    headers={**req.headers, "accept-encoding": "identity"},
                    data=req.content,
                    allow_redirects=False,
                    trace_request_ctx=x,
                    **route,
                )
                arrivals = _arrivals_of(response)
                x.t_headers = arrivals.headers_ns if arrivals is not None else perf_counter_ns()
                try:
                    x.status = status = response.status
                    x.headers = response.headers
                    if not 200 <= status < 300:
                        x.body = await read_limited(response.content.iter_any())
                        x.t_end = perf_counter_ns()
                        return
                    feed = parser.feed
                    async for chunk in response.content.iter_any():
                        if arrivals is None:
                            feed(chunk, perf_counter_ns(), state)
                        else:
                            arrivals.feed(chunk, feed, state)
                        if state.error is not None:
                            break
                        if waiting_first and state.first_content_ns is not None:
                            deadline.reschedule(total_at)
                            waiting_first = False
                    x.t_end = (arrivals.eof_ns if arrivals else 0) or perf_counter_ns()
                    if state.error is None:
                        parser.close(state)
                finally:
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

    async def aclose(self):
        await self._session.close()


class _Arrivals:
    """One response's clock readings, taken in the socket callback: when its headers came,
    and (time, byte count) of each later piece of its body, in order."""

    __slots__ = ("eof_ns", "headers_ns", "payload", "pieces", "seen")

    def __init__(self, payload, headers_ns: int) -> None:
        self.payload = payload
        self.headers_ns = headers_ns
        self.pieces: deque[tuple[int, int]] = deque()  # (perf_counter_ns, byte count)
        self.seen = 0  # body bytes already given a time
        self.eof_ns = 0

    def after_read(self, t_ns: int) -> None:
        """The socket read that arrived at ``t_ns`` has been parsed: stamp what it added."""
        total = getattr(self.payload, "total_bytes", 0)
        if total > self.seen:
            self.pieces.append((t_ns, total - self.seen))
            self.seen = total
        if not self.eof_ns and self.payload.is_eof():
            self.eof_ns = t_ns

    def feed(self, chunk: bytes, feed, state) -> None:
        """Feed ``chunk`` (what the reader returned) piece by piece, each with its own time."""
        pieces, pos, end = self.pieces, 0, len(chunk)
        while pieces and pos < end and state.error is None:
            t_ns, size = pieces[0]
            take = min(size, end - pos)
            feed(chunk[pos : pos + take], t_ns, state)
            pos += take
            if take == size:
                pieces.popleft()
            else:
                pieces[0] = (t_ns, size - take)
        if pos < end and state.error is None:  # not seen by the callback: stamp it now
            feed(chunk[pos:], perf_counter_ns(), state)


def _stamped_protocol_class(response_handler: type) -> type:
    """aiohttp's ``ResponseHandler`` that stamps each socket read before it is parsed.

    Under load the coroutine that awaits the response resumes one or more event-loop iterations
    after the bytes arrived; ``data_received`` runs in the socket callback itself. The read that
    completes a response's headers creates its ``_Arrivals`` (TTFB); each read after it adds the
    body bytes it carried, with the same clock reading.
    """

    class StampedResponseHandler(response_handler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.arrivals: _Arrivals | None = None
            self._read_ns = 0

        def data_received(self, data: bytes) -> None:
            self._read_ns = t_ns = perf_counter_ns()
            super().data_received(data)
            if self.arrivals is not None:
                self.arrivals.after_read(t_ns)

        def feed_data(self, data, size: int = 0) -> None:  # (message, payload): headers done
            self.arrivals = _Arrivals(data[1], self._read_ns)
            super().feed_data(data, size)

        def resume_reading(self, resume_parser: bool = True) -> None:
            # aiohttp calls this for every body piece the reader takes, paused or not, and it
            # re-enters data_received(b"") each time (a third of the reads' cost at 256
            # streams). Reading that was not paused holds no parse back: nothing to resume.
            if getattr(self, "_reading_paused", True) or getattr(self, "_buffer_paused", True):
                super().resume_reading(resume_parser)

    return StampedResponseHandler


def _env_route(url) -> dict:
    """The proxy (HTTP(S)_PROXY / NO_PROXY) for ``url``'s origin: what aiohttp's ``trust_env``
    looks up again for every request in a thread hand-off (a pool submit, a thread wake-up and
    a loop wake-up inside the timed window). Once per origin. ``.netrc`` is not read: each
    adapter sends its own credentials (a netrc entry beside them is a ValueError in aiohttp),
    as httpx2 and the official SDKs do."""
    from aiohttp.helpers import get_env_proxy_for_url

    try:
        proxy, proxy_auth = get_env_proxy_for_url(url)
    except LookupError:  # no proxy for this origin
        return {}
    return {"proxy": proxy, "proxy_auth": proxy_auth}


def _arrivals_of(response) -> _Arrivals | None:
    """The stamps of ``response`` when its connection's protocol took them."""
    connection = response.connection
    protocol = getattr(connection, "protocol", None) if connection is not None else None
    arrivals = getattr(protocol, "arrivals", None)
    return arrivals if arrivals is not None and arrivals.payload is response.content else None


def _aio_mark(attr: str):
    async def mark(session, ctx, params) -> None:
        x = ctx.trace_request_ctx
        if isinstance(x, Exchange):
            setattr(x, attr, perf_counter_ns())

    return mark
