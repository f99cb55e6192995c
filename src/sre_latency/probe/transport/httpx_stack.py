"""The httpx2 transport: raw chunks (``aiter_raw``) and the trace extension for connection phases.

Chosen for ``--cold`` runs, latency-check and latency-budget, because httpx2 reports DNS, TCP and
TLS apart. The response headers (TTFB) and body chunks are stamped with the time of the socket
read that brought them (the connection's stream records it), so the events of one read share
one arrival time instead of being stamped one by one as the parser gets to them.
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import socket
import ssl
from time import perf_counter_ns

from sre_latency.probe.providers.base import sample_error
from sre_latency.probe.transport.base import (
    KEEPALIVE_S,
    Exchange,
    Transport,
    deadline_exceeded,
    read_limited,
)

_CURRENT: contextvars.ContextVar[Exchange | None] = contextvars.ContextVar("exchange", default=None)


def _stamped_stream_class(httpcore) -> type:
    """A connection's network stream that stamps each read on the exchange reading it."""

    class StampedStream(httpcore.AsyncNetworkStream):
        def __init__(self, inner) -> None:
            self._inner = inner

        async def read(self, max_bytes, timeout=None):
            data = await self._inner.read(max_bytes, timeout)
            x = _CURRENT.get()
            if x is not None:
                x.t_read = perf_counter_ns()
            return data

        async def write(self, buffer, timeout=None) -> None:
            await self._inner.write(buffer, timeout)

        async def aclose(self) -> None:
            await self._inner.aclose()

        async def start_tls(self, ssl_context, server_hostname=None, timeout=None):
            return StampedStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

        def get_extra_info(self, info):
            return self._inner.get_extra_info(info)

    return StampedStream


def _resolving_backend(httpcore):
    """A network backend that times ``getaddrinfo`` itself, inside the ``connect_tcp`` phase.

    httpcore resolves names inside its TCP connect; resolving first and connecting to the address
    lets ``dns_ms`` be measured as part of ``connect_ms`` (TLS still verifies the host name,
    which httpcore passes to ``start_tls`` separately). Addresses are tried in the resolver's
    order until one accepts (``localhost`` may resolve to ``::1`` before ``127.0.0.1``).
    """

    StampedStream = _stamped_stream_class(httpcore)

    class ResolvingBackend(httpcore.AsyncNetworkBackend):
        def __init__(self) -> None:
            self._inner = httpcore.AnyIOBackend()

        async def connect_tcp(
            self, host, port, timeout=None, local_address=None, socket_options=None
        ):
            try:
                ipaddress.ip_address(host)
                addresses = [host]
            except ValueError:
                x = _CURRENT.get()
                t0 = perf_counter_ns()
                try:
                    infos = await asyncio.get_running_loop().getaddrinfo(
                        host, port, type=socket.SOCK_STREAM
                    )
                except OSError as exc:
                    raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
                if x is not None:
                    x.t_dns_start, x.t_dns_end = t0, perf_counter_ns()
                addresses = list(dict.fromkeys(info[4][0] for info in infos))
            error: Exception | None = None
            for address in addresses:  # in resolver order, as the OS prefers them
                try:
                    return StampedStream(
                        await self._inner.connect_tcp(
                            address,
                            port,
                            timeout=timeout,
                            local_address=local_address,
                            socket_options=socket_options,
                        )
                    )
                except httpcore.ConnectError as exc:
                    error = exc
            raise error or httpcore.ConnectError(f"{host} resolved to no address")

        async def sleep(self, seconds: float) -> None:
            await self._inner.sleep(seconds)

    return ResolvingBackend()


class HttpxTransport(Transport):
    """httpx2 with raw chunks (``aiter_raw``) and the trace extension for connection phases."""

    name = "httpx2"

    def __init__(self, *, cold: bool = False, connect_timeout_s: float = 10.0):
        super().__init__(cold=cold, connect_timeout_s=connect_timeout_s)
        import httpcore2
        import httpx2

        self._httpx = httpx2

        def pool(proxy: str | None = None):
            transport = httpx2.AsyncHTTPTransport(
                limits=httpx2.Limits(
                    max_connections=None,
                    max_keepalive_connections=0 if cold else 4096,
                    keepalive_expiry=KEEPALIVE_S,
                ),
                proxy=proxy,
            )
            if proxy is None:  # through a proxy, names are resolved there
                transport._pool._network_backend = _resolving_backend(httpcore2)
            return transport

        # Passing our own transport turns off httpx2's proxies from the environment: mount them
        # again, as the official SDKs honour HTTP(S)_PROXY, ALL_PROXY and NO_PROXY.
        from httpx2._utils import get_environment_proxies

        mounts = {pattern: None if url is None else pool(url)
                  for pattern, url in get_environment_proxies().items()}  # fmt: skip
        self._client = httpx2.AsyncClient(
            timeout=httpx2.Timeout(connect=connect_timeout_s, read=None, write=None, pool=None),
            transport=pool(),
            mounts=mounts,
            follow_redirects=False,
        )

    async def exchange(self, req, parser, state, x, first_token_s, total_s):
        marks = x.marks

        async def trace(name: str, info: dict) -> None:
            marks[name] = perf_counter_ns()

        request = self._client.build_request(
            req.method,
            req.url,
            headers={**req.headers, "accept-encoding": "identity"},
            content=req.content,
            extensions={"trace": trace},
        )
        now = asyncio.get_running_loop().time()
        first_at, total_at = now + first_token_s, now + total_s
        waiting_first = first_at < total_at
        headers_read_ns = 0
        token = _CURRENT.set(x)
        try:
            async with asyncio.timeout_at(first_at if waiting_first else total_at) as deadline:
                x.t_start = perf_counter_ns()
                response = await self._client.send(request, stream=True)
                headers_read_ns = x.t_read  # the socket read that completed the headers
                try:
                    x.status = status = response.status_code
                    x.headers = response.headers
                    if not 200 <= status < 300:
                        x.body = await read_limited(response.aiter_raw())
                        x.t_end = perf_counter_ns()
                        return
                    feed = parser.feed
                    async for chunk in response.aiter_raw():
                        feed(chunk, x.t_read or perf_counter_ns(), state)
                        if state.error is not None:
                            break
                        if waiting_first and state.first_content_ns is not None:
                            deadline.reschedule(total_at)
                            waiting_first = False
                    x.t_end = perf_counter_ns()
                    if state.error is None:
                        parser.close(state)
                finally:
                    await response.aclose()
        except TimeoutError:
            x.t_end = perf_counter_ns()
            raise deadline_exceeded(state, first_at, total_at, first_token_s, total_s) from None
        finally:
            _CURRENT.reset(token)
            _apply_marks(x)
            if headers_read_ns:  # TTFB when the bytes arrived, as the body is stamped
                x.t_headers = headers_read_ns

    def classify(self, exc):
        httpx = self._httpx
        if isinstance(exc, httpx.ConnectTimeout):
            return sample_error("timeout", f"no connection within {self.connect_timeout_s:g} s")
        if isinstance(exc, httpx.TimeoutException):
            return sample_error("timeout", f"{type(exc).__name__}: {exc}")
        if isinstance(exc, httpx.DecodingError):
            return sample_error("protocol", f"{type(exc).__name__}: {exc}")
        if isinstance(exc, httpx.LocalProtocolError):
            return sample_error("client", f"{type(exc).__name__}: {exc}")
        if isinstance(exc, httpx.TransportError | OSError | ssl.SSLError):
            return sample_error("connection", f"{type(exc).__name__}: {exc}")
        return None

    async def aclose(self):
        await self._client.aclose()


_MARKS = {
    "connection.connect_tcp.started": "t_connect_start",
    "connection.connect_tcp.complete": "t_connect_end",
    "connection.start_tls.started": "t_tls_start",
    "connection.start_tls.complete": "t_tls_end",
    "http11.send_request_body.complete": "t_sent",
    "http11.receive_response_headers.complete": "t_headers",
    "http2.send_request_body.complete": "t_sent",
    "http2.receive_response_headers.complete": "t_headers",
}


def _apply_marks(x: Exchange) -> None:
    for name, t in x.marks.items():
        attr = _MARKS.get(name)
        if attr is not None:
            setattr(x, attr, t)
