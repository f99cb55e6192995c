"""The one HTTP stack every provider is measured through, behind a narrow interface.

``Transport.exchange(req, parser, state, x, first_token_s, total_s)`` sends one prepared request
and streams its body into ``parser``; it fills ``x`` (an ``Exchange``) with clock readings:

- ``t_start``: just before the request is handed to the client (the request start);
- ``t_sent``: request body written; ``t_headers``: response headers received (TTFB);
- ``t_connect_*``/``t_tls_*``: only when a new connection was opened;
- ``t_end``: end of the body, the error, or the deadline.

Each body chunk is timestamped with ``perf_counter_ns()`` when it arrives (httpx2: as
``aiter_raw()`` yields it; aiohttp: in its socket callback), before any parsing. Deadlines:
connect (the client's own connect timeout, classified by ``classify``), first token and total
(one ``asyncio.timeout`` rescheduled once the first content delta arrives); exceeding one of the
last two raises ``DeadlineExceeded``. The transport never retries. Client errors are mapped to DESIGN §5 classes
by ``classify``.

``cold=True`` keeps no connection alive, so every request opens a fresh TCP (+TLS) connection:
that is how ``--cold`` measures connection set-up on purpose.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import ipaddress
import socket
import ssl
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from time import perf_counter_ns
from typing import ClassVar

from sre_latency.models import SampleError
from sre_latency.probe.providers.base import (
    PreparedRequest,
    StreamParser,
    StreamState,
    sample_error,
)

MAX_ERROR_BODY_BYTES = 64 * 1024


class DeadlineExceeded(Exception):
    """A first-token or total deadline passed; ``phase`` says which."""

    def __init__(self, phase: str, seconds: float):
        super().__init__(f"no {phase} within {seconds:g} s")
        self.phase = phase
        self.seconds = seconds


@dataclass(slots=True)
class Exchange:
    """Clock readings (``perf_counter_ns``) and outcome of one HTTP exchange."""

    t_start: int = 0
    t_sent: int | None = None
    t_headers: int | None = None
    t_end: int = 0
    t_connect_start: int | None = None
    t_connect_end: int | None = None
    t_tls_start: int | None = None
    t_tls_end: int | None = None
    t_dns_start: int | None = None
    t_dns_end: int | None = None
    status: int | None = None
    headers: Mapping[str, str] | None = None
    body: bytes = b""
    marks: dict[str, int] = field(default_factory=dict)


class Transport(ABC):
    """One HTTP client for a whole run, created before the clock starts."""

    name: ClassVar[str]

    def __init__(self, *, cold: bool = False, connect_timeout_s: float = 10.0):
        self.cold = cold
        self.connect_timeout_s = connect_timeout_s

    @abstractmethod
    async def exchange(
        self,
        req: PreparedRequest,
        parser: StreamParser,
        state: StreamState,
        x: Exchange,
        first_token_s: float,
        total_s: float,
    ) -> None:
        """Send ``req``, stream its body into ``parser``; raise on transport failure."""

    @abstractmethod
    def classify(self, exc: BaseException) -> SampleError | None:
        """The DESIGN §5 class of a client exception, or None when it is not a transport error."""

    async def preconnect(self, urls: list[str], per_host: int) -> None:
        """Open up to ``per_host`` idle connections to each URL's host (no-op when cold)."""
        if not self.cold:
            await warm_origins(urls, per_host, self._touch)

    @abstractmethod
    async def _touch(self, url: str) -> None:
        """One cheap request to ``url`` that leaves its connection idle in the pool."""

    @abstractmethod
    async def aclose(self) -> None: ...


def deadline_phase(state: StreamState, first_at: float, total_at: float) -> str:
    return "first token" if state.first_content_ns is None and first_at < total_at else "end"


def deadline_exceeded(
    state: StreamState, first_at: float, total_at: float, first_token_s: float, total_s: float
) -> DeadlineExceeded:
    """The deadline that fired: first token while none arrived (and it was the earlier one)."""
    phase = deadline_phase(state, first_at, total_at)
    return DeadlineExceeded(phase, first_token_s if phase == "first token" else total_s)


async def warm_origins(urls: list[str], per_host: int, touch) -> None:
    """Await ``touch(origin + "/")`` ``per_host`` times per origin, all at once, so the client
    keeps that many idle connections; a failed warm-up shows up in the measured samples."""
    if per_host <= 0:
        return

    async def quietly(url: str) -> None:
        try:
            await touch(url)
        except Exception:
            return

    async with asyncio.TaskGroup() as tg:
        for origin in sorted({origin_of(u) for u in urls}):
            for _ in range(per_host):
                tg.create_task(quietly(origin + "/"))


_CURRENT: contextvars.ContextVar[Exchange | None] = contextvars.ContextVar("exchange", default=None)


def _resolving_backend(httpcore):
    """A network backend that times ``getaddrinfo`` itself, inside the ``connect_tcp`` phase.

    httpcore resolves names inside its TCP connect; resolving first and connecting to the address
    lets ``dns_ms`` be measured as part of ``connect_ms`` (TLS still verifies the host name,
    which httpcore passes to ``start_tls`` separately). Addresses are tried in the resolver's
    order until one accepts (``localhost`` may resolve to ``::1`` before ``127.0.0.1``).
    """

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
                    return await self._inner.connect_tcp(
                        address,
                        port,
                        timeout=timeout,
                        local_address=local_address,
                        socket_options=socket_options,
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
        transport = httpx2.AsyncHTTPTransport(
            limits=httpx2.Limits(
                max_connections=None, max_keepalive_connections=0 if cold else 4096
            ),
        )
        transport._pool._network_backend = _resolving_backend(httpcore2)
        self._client = httpx2.AsyncClient(
            timeout=httpx2.Timeout(connect=connect_timeout_s, read=None, write=None, pool=None),
            transport=transport,
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
        token = _CURRENT.set(x)
        try:
            async with asyncio.timeout_at(first_at if waiting_first else total_at) as deadline:
                x.t_start = perf_counter_ns()
                response = await self._client.send(request, stream=True)
                try:
                    x.status = status = response.status_code
                    x.headers = response.headers
                    if not 200 <= status < 300:
                        x.body = await read_limited(response.aiter_raw())
                        x.t_end = perf_counter_ns()
                        return
                    feed = parser.feed
                    async for chunk in response.aiter_raw():
                        t = perf_counter_ns()
                        feed(chunk, t, state)
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

    async def _touch(self, url: str) -> None:
        response = await self._client.get(url, headers={"accept-encoding": "identity"})
        await response.aclose()

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


async def read_limited(chunks) -> bytes:
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) >= MAX_ERROR_BODY_BYTES:
            break
    return bytes(body[:MAX_ERROR_BODY_BYTES])


def origin_of(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


TRANSPORTS: dict[str, str] = {
    "httpx2": "sre_latency.probe.transport:HttpxTransport",
    "aiohttp": "sre_latency.probe.transport_aiohttp:AiohttpTransport",
}
TRANSPORT_CHOICES = ("auto", *TRANSPORTS)


def choose_transport(name: str, cold: bool) -> str:
    """``auto``: aiohttp for warm runs (its C parser keeps up with hundreds of streams; see
    docs/benchmark.md for the figures), httpx2 for ``--cold`` runs (it reports DNS, TCP and TLS
    apart). aiohttp falls back to httpx2 when it is not installed."""
    if name == "auto":
        if cold:
            return "httpx2"
        try:
            import aiohttp  # noqa: F401
        except ImportError:
            return "httpx2"
        return "aiohttp"
    if name not in TRANSPORTS:
        from sre_latency.errors import ConfigError

        raise ConfigError(
            f"--transport must be one of {', '.join(TRANSPORT_CHOICES)}, not {name!r}."
        )
    return name


def make_transport(name: str, *, cold: bool, connect_timeout_s: float) -> Transport:
    module_name, _, cls_name = TRANSPORTS[choose_transport(name, cold)].partition(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    return cls(cold=cold, connect_timeout_s=connect_timeout_s)
