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
last two raises ``DeadlineExceeded``. The transport never retries. Client errors are mapped to docs/contract.md#error-classes classes
by ``classify``.

``cold=True`` keeps no connection alive, so every request opens a fresh TCP (+TLS) connection:
that is how ``--cold`` measures connection set-up on purpose. Warm pools keep idle connections
for ``KEEPALIVE_S`` (longer than the libraries' defaults of 5–15 s), so a worker whose start is
spread, or a slow stream's neighbour, finds the connection its warm-up opened. A transport never
sends a request of its own: the warm-up is real, discarded requests (``probe/warmup.py``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from sre_latency.core.contract import SampleError
from sre_latency.probe.providers.base import PreparedRequest, StreamParser, StreamState

MAX_ERROR_BODY_BYTES = 64 * 1024
KEEPALIVE_S = 90.0


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
    t_read: int = 0  # the latest socket read of this exchange (httpx2 stamps chunks with it)


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
        """The docs/contract.md#error-classes class of a client exception, or None when it is not a transport error."""

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
