"""The adapter interface: one small class per wire protocol, pure state machines, no sockets.

The engine (``probe/engine.py``) owns the HTTP client, every clock reading and every deadline.
An adapter only turns a prompt into request bytes and response bytes into facts::

    adapter = adapter_class(target.provider)(target, settings)  # credentials resolved here
    req = adapter.prepare(prompt, max_tokens)  # PreparedRequest, built per request (SigV4 signs each)
    # engine sends req; on a non-2xx status:
    error = adapter.error_from_response(status, headers, body)  # a SampleError (docs/contract.md#error-classes)
    # on 2xx: the engine reads raw chunks, timestamps each one with perf_counter_ns() BEFORE
    # parsing, and hands it over:
    parser = adapter.parser()
    state = StreamState()
    parser.feed(chunk, t_ns, state)  # for each chunk; records content deltas, usage, errors
    parser.close(state)  # body ended: sets a ``protocol`` error if no terminal event was seen
    adapter.request_id(headers)

Rules for adapters:

- ``__init__`` resolves credentials from ``settings.env`` (never ``os.environ`` directly, so tests
  and ``--emulate`` can supply their own) and raises ``CredentialsError`` with one sentence naming
  the variable and suggesting ``--emulate`` when they are missing (``required_credential``).
- A *content delta* (docs/contract.md#metrics: the answer's text — Anthropic ``text_delta``,
  Bedrock ``contentBlockDelta`` text, OpenAI non-empty ``delta.content``) is recorded with
  ``state.content(t_ns)``; a *reasoning delta* (Anthropic ``thinking_delta``, Bedrock
  ``reasoningContent``, OpenAI ``delta.reasoning_content``/``reasoning``) with
  ``state.reasoning(t_ns)``. ``t_ns`` is the arrival time of the chunk holding the event's
  *first* byte (one rule for every protocol), never a later clock reading.
- ``feed`` never raises on bad input: malformed bytes set ``state.error`` (class ``protocol``);
  an error event inside a 200 stream sets class ``stream_error`` with the provider's error type in
  the message (docs/contract.md#error-classes). Once ``state.error`` is set the engine stops reading.
- ``state.done`` is set when the terminal event arrives (``message_stop``, ``[DONE]``,
  Bedrock ``messageStop``+``metadata`` / invocation metrics). The engine keeps reading to the end of
  the body so ``total_ms`` is the end of the stream.
- Messages never carry a key, token or signature: ``secrets()`` lists what the adapter knows,
  and the engine scrubs every sample's error and request id with it (``core/redact.py``).
- ``headers`` arguments are case-insensitive mappings (httpx2 ``Headers``).
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from sre_latency.core.contract import ProviderName, SampleError
from sre_latency.core.redact import url_secrets
from sre_latency.errors import CredentialsError, ErrorClass
from sre_latency.probe.prompts import Prompt
from sre_latency.probe.providers.sse import SSEDecoder, SSEEvent

__all__ = [
    "Adapter",
    "PreparedRequest",
    "ProbeSettings",
    "Prompt",
    "SSEStreamParser",
    "StreamParser",
    "StreamState",
    "Target",
    "compact_json",
    "int_or_none",
    "json_object",
    "required_credential",
    "sample_error",
    "text_or_empty",
]


@dataclass
class Target:
    """One measured thing: a provider × model × variant, with the base URL it is reached at.

    ``options`` carries variant knobs the adapter reads, e.g. ``{"guardrail": "gr-1:1"}`` or
    ``{"latency": "optimized"}`` for Bedrock variants; it is stored in the run file, so no secrets.
    """

    label: str
    provider: ProviderName
    model: str
    base_url: str
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class ProbeSettings:
    """Run-wide knobs an adapter may need. ``env`` is where credentials and endpoints are read."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    bedrock_api: str = "invoke"  # "invoke" (invoke-with-response-stream) | "converse"
    bedrock_geo: str = "us"


@dataclass
class PreparedRequest:
    method: str
    url: str
    headers: dict[str, str]
    content: bytes


@dataclass(slots=True)
class StreamState:
    """What the parser learned from the body so far; the engine turns it into a Sample."""

    first_content_ns: int | None = None
    last_content_ns: int | None = None
    content_deltas: int = 0
    gaps_ns: list[int] = field(default_factory=list)
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    server_latency_ms: float | None = None
    server_ttft_ms: float | None = None
    done: bool = False
    error: SampleError | None = None
    first_reasoning_ns: int | None = None
    last_reasoning_ns: int | None = None
    reasoning_deltas: int = 0

    def content(self, t_ns: int) -> None:
        """Record one content delta (the answer's text) whose first byte arrived at ``t_ns``."""
        last = self.last_content_ns
        if last is None:
            self.first_content_ns = t_ns
        else:
            self.gaps_ns.append(t_ns - last)
        self.last_content_ns = t_ns
        self.content_deltas += 1

    def reasoning(self, t_ns: int) -> None:
        """Record one reasoning delta (thinking text, not the answer) that arrived at ``t_ns``."""
        if self.first_reasoning_ns is None:
            self.first_reasoning_ns = t_ns
        self.last_reasoning_ns = t_ns
        self.reasoning_deltas += 1

    def fail(self, class_: ErrorClass, message: str, status: int | None = None) -> None:
        """Set the first error only: later errors are consequences of it."""
        if self.error is None:
            self.error = sample_error(class_, message, status)


def sample_error(class_: ErrorClass, message: str, status: int | None = None) -> SampleError:
    """A SampleError with a message cut to one short line."""
    message = " ".join(str(message).split())
    if len(message) > 300:
        message = message[:297] + "..."
    return SampleError.model_validate({"class": class_, "status": status, "message": message})


class StreamParser(ABC):
    """Incremental parser of one response body. Never raises on malformed input."""

    @abstractmethod
    def feed(self, data: bytes, t_ns: int, state: StreamState) -> None:
        """Consume ``data`` that arrived at ``t_ns`` (taken before parsing)."""

    @abstractmethod
    def close(self, state: StreamState) -> None:
        """The body ended; set a ``protocol`` error if the terminal event never came."""


class SSEStreamParser(StreamParser):
    """The SSE protocols' shared scaffolding: decoder, first-byte times, terminal check.

    Subclasses implement ``_events`` and name their ``terminal`` event; ``feed`` hands each
    chunk's completed events straight to it, so the hot path has no extra call layer. An event
    is stamped with the arrival time of the chunk where its first byte came (as Bedrock frames
    are): only the first event a chunk completes can have begun in an earlier chunk.
    """

    __slots__ = ("_last_ns", "_sse")
    terminal: ClassVar[str]

    def __init__(self) -> None:
        self._sse = SSEDecoder()
        self._last_ns = 0

    def feed(self, data: bytes, t_ns: int, state: StreamState) -> None:
        self._last_ns = t_ns
        sse = self._sse
        events = sse.feed(data, t_ns)
        if not events:
            return
        began_ns = sse.first_ns
        if began_ns == t_ns:
            self._events(events, t_ns, state)
            return
        self._events(events[:1], began_ns, state)  # its first byte came with an earlier chunk
        if len(events) > 1 and state.error is None:
            self._events(events[1:], t_ns, state)

    @abstractmethod
    def _events(self, events: list[SSEEvent], t_ns: int, state: StreamState) -> None:
        """Apply events whose first bytes all arrived at ``t_ns``."""

    def close(self, state: StreamState) -> None:
        # Events completed only by the end of the body began where the decoder says.
        events = self._sse.close()
        self._events(events, self._sse.first_ns if events else self._last_ns, state)
        if state.error is None and not state.done:
            state.fail("protocol", f"stream ended without {self.terminal}")


_DECODER = json.JSONDecoder()
_decode_json, _scan_json = _DECODER.decode, _DECODER.scan_once


def json_object(data: bytes) -> dict | None:
    """The JSON object in ``data``, or None: parsers must never raise on malformed bytes."""
    try:
        text = data.decode()
        if text[:1] == "{":  # every event's shape: scan it at once, without decode()'s regexes
            obj, end = _scan_json(text, 0)
            return obj if end == len(text) or not text[end:].strip(" \t\n\r") else None
        obj = _decode_json(text)
    except (ValueError, UnicodeDecodeError, RecursionError, StopIteration):  # Recursion: nesting
        return None
    return obj if isinstance(obj, dict) else None


def compact_json(body: dict) -> bytes:
    """Request bytes without spaces: every adapter sends the same compact form."""
    return json.dumps(body, separators=(",", ":")).encode()


def required_credential(env: Mapping[str, str], name: str, how: str = "export it") -> str:
    """The variable ``name`` from ``env``, or one sentence naming it and offering ``--emulate``."""
    value = env.get(name)
    if not value:
        raise CredentialsError(
            f"{name} is not set; {how}, or add --emulate to measure the built-in emulator instead."
        )
    return value


_INT64 = 2**63


def int_or_none(value: object) -> int | None:
    """A token count only when it really is an int (JSON ``true`` is not a count) that a run
    file can hold (the contract bounds counts to int64)."""
    if isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64:
        return value
    return None


def text_or_empty(value: object) -> str:
    """``value`` when it is a string, else "": error texts from a gateway may be any JSON."""
    return value if isinstance(value, str) else ""


class Adapter(ABC):
    """One wire protocol. Subclasses set ``provider`` and implement the four methods."""

    provider: ClassVar[str]

    def __init__(self, target: Target, settings: ProbeSettings):
        self.target = target
        self.settings = settings

    @abstractmethod
    def prepare(self, prompt: Prompt, max_tokens: int) -> PreparedRequest:
        """Build the request for one sample (called per request: signatures expire)."""

    @abstractmethod
    def parser(self) -> StreamParser:
        """A fresh parser for one response body."""

    @abstractmethod
    def error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> SampleError:
        """Classify a non-2xx response (docs/contract.md#error-classes) from its status, headers and body."""

    def secrets(self) -> list[str]:
        """Every credential this adapter knows (keys, tokens, its URL's userinfo and query
        values): a gateway may echo any of them, so they are scrubbed from what it says."""
        return url_secrets(self.target.base_url)

    def request_id(self, headers: Mapping[str, str]) -> str | None:
        """The provider's request id header, for joining with server-side logs."""
        for name in ("request-id", "x-request-id", "x-amzn-requestid"):
            value = headers.get(name)
            if value:
                return value
        return None
