"""Anthropic Messages API: ``POST /v1/messages`` with ``stream: true`` (docs/protocols.md).

Content deltas are ``content_block_delta`` events carrying non-empty ``text_delta`` text (the
answer); non-empty ``thinking_delta`` text is reasoning, timed apart (``ttfr_ms``); tokens come from ``message_start.message.usage`` and the cumulative
``message_delta.usage``; ``message_stop`` is the terminal event. Also used for any
Anthropic-compatible gateway through ``ANTHROPIC_BASE_URL``.
"""

from __future__ import annotations

from collections.abc import Mapping

from sre_latency.core.contract import SampleError
from sre_latency.core.redact import scrub
from sre_latency.errors import ErrorClass, classify_http_status
from sre_latency.probe.providers.base import (
    Adapter,
    PreparedRequest,
    Prompt,
    SSEStreamParser,
    StreamParser,
    StreamState,
    compact_json,
    required_credential,
    sample_error,
    text_or_empty,
)
from sre_latency.probe.providers.base import int_or_none as _int
from sre_latency.probe.providers.base import json_object as _json
from sre_latency.probe.providers.sse import SSEEvent
from sre_latency.probe.providers.urls import basic_authorization, endpoint_url

ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_BASE_URL = "https://api.anthropic.com"

# Anthropic error types (HTTP body or mid-stream event) → docs/contract.md#error-classes class, refining the status.
ERROR_TYPES: dict[str, ErrorClass] = {
    "authentication_error": "auth",
    "permission_error": "auth",
    "rate_limit_error": "rate_limit",
    "overloaded_error": "overloaded",
    "api_error": "server",
    "invalid_request_error": "client",
    "not_found_error": "client",
    "request_too_large": "client",
}
CONTENT_DELTAS = {"text_delta": "text"}  # the answer: TTFT, ITL
REASONING_DELTAS = {"thinking_delta": "thinking"}  # thinking: TTFR, never TTFT


class AnthropicStreamParser(SSEStreamParser):
    """Messages API SSE → StreamState. Unknown events and ``ping`` are ignored."""

    __slots__ = ()
    terminal = "message_stop"

    def _events(self, events: list[SSEEvent], t_ns: int, state: StreamState) -> None:
        for event, payload in events:
            if state.error is not None:
                return
            if event == b"ping":
                continue
            if event == b"content_block_delta" and (fast := _compact_delta(payload)) is not None:
                if fast == 1:
                    state.content(t_ns)
                elif fast == 2:
                    state.reasoning(t_ns)
                continue
            obj = _json(payload)
            if obj is None:
                state.fail("protocol", f"malformed JSON in SSE event {_name(event)}")
                return
            kind = event if event is not None else str(obj.get("type")).encode()
            if kind == b"content_block_delta":
                record_delta(obj.get("delta"), t_ns, state)
            elif kind == b"message_start":
                message = obj.get("message")
                if isinstance(message, dict):
                    merge_usage(message.get("usage"), state)
            elif kind == b"message_delta":
                merge_usage(obj.get("usage"), state)
            elif kind == b"message_stop":
                state.done = True
            elif kind == b"error":
                state.fail("stream_error", stream_error_text(obj))


_DELTA_HEAD = b'{"type":"content_block_delta","index":'
_DELTA_TEXT = (
    b',"delta":{"type":"text_delta","text":"',
    b',"delta":{"type":"thinking_delta","thinking":"',
)


def _compact_delta(payload: bytes) -> int | None:
    """What a delta in the API's own compact form carries, without parsing it: 1 answer text,
    2 thinking text, 0 an empty string.

    Exact for that form (a raw ``"`` cannot occur inside a JSON string, so the markers below
    can only be structure); anything else — other key order, whitespace, other delta types —
    returns None and is parsed as JSON.
    """
    if not (payload.startswith(_DELTA_HEAD) and payload.endswith(b'"}}')):
        return None
    for kind, marker in enumerate(_DELTA_TEXT, 1):
        i = payload.find(marker, 38)
        if i > 38 and payload[38:i].isdigit():
            start = i + len(marker)
            if start > len(payload) - 3:
                return None
            return kind if payload[start] != 34 else 0  # '"': an empty string is nothing
    return None


def record_delta(delta: object, t_ns: int, state: StreamState) -> None:
    """A ``content_block_delta``'s ``delta`` (here and inside Bedrock invoke chunks): non-empty
    answer text is content, non-empty thinking is reasoning; other deltas are neither."""
    if not isinstance(delta, dict):
        return
    kind = delta.get("type")
    if not isinstance(kind, str):  # any JSON may come in: a list is not a key
        return
    if kind in CONTENT_DELTAS:
        if delta.get(CONTENT_DELTAS[kind]):
            state.content(t_ns)
    elif kind in REASONING_DELTAS and delta.get(REASONING_DELTAS[kind]):
        state.reasoning(t_ns)


def _name(event: bytes | None) -> str:
    return event.decode("ascii", "replace") if event is not None else "(unnamed)"


def stream_error_text(event: dict) -> str:
    """``error_type: message`` of an Anthropic ``error`` event (also inside Bedrock invoke)."""
    err = event.get("error") if isinstance(event.get("error"), dict) else {}
    etype = text_or_empty(err.get("type")) or "error"
    return f"{etype}: {text_or_empty(err.get('message'))}".strip(": ")


def merge_usage(usage: object, state: StreamState) -> None:
    """Merge a usage object; ``message_delta`` carries cumulative output tokens."""
    if not isinstance(usage, dict):
        return
    if (v := _int(usage.get("input_tokens"))) is not None:
        state.input_tokens = v
    if (v := _int(usage.get("output_tokens"))) is not None:
        state.output_tokens = v
    if (v := _int(usage.get("cache_read_input_tokens"))) is not None:
        state.cache_read_tokens = v
    if (v := _int(usage.get("cache_creation_input_tokens"))) is not None:
        state.cache_write_tokens = v


def error_from_body(status: int, body: bytes) -> SampleError:
    """An Anthropic error body (``{"type":"error","error":{"type","message"}}``) → SampleError."""
    obj = _json(body) or {}
    err = obj.get("error") if isinstance(obj.get("error"), dict) else {}
    etype = text_or_empty(err.get("type"))
    class_ = ERROR_TYPES.get(etype)
    message = (
        text_or_empty(err.get("message"))
        or body[:200].decode("utf-8", "replace")
        or f"HTTP {status}"
    )
    label = f"{etype}: {message}" if etype else message
    return sample_error(class_ or classify_http_status(status), label, status)


class AnthropicAdapter(Adapter):
    """Streams ``/v1/messages``; the key is sent as ``x-api-key`` (what Claude Code sends)."""

    provider = "anthropic"

    def __init__(self, target, settings):
        super().__init__(target, settings)
        self._key = key = required_credential(settings.env, "ANTHROPIC_API_KEY")
        self._headers = {
            "x-api-key": key,
            "anthropic-version": ANTHROPIC_VERSION,
            "content-type": "application/json",
            "accept": "text/event-stream",
        }
        basic = basic_authorization(target.base_url)  # a gateway's own Basic auth, if any
        if basic is not None:
            self._headers["authorization"] = basic
        self._url = endpoint_url(target.base_url, "/v1/messages")

    def prepare(self, prompt: Prompt, max_tokens: int) -> PreparedRequest:
        body: dict = {
            "model": self.target.model,
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": prompt.user}],
            "stream": True,
        }
        if prompt.system:
            body["system"] = prompt.system
        return PreparedRequest("POST", self._url, dict(self._headers), compact_json(body))

    def parser(self) -> StreamParser:
        return AnthropicStreamParser()

    def error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> SampleError:
        error = error_from_body(status, body)  # a gateway may echo the key it refused
        return error.model_copy(update={"message": scrub(error.message, self.secrets())})

    def secrets(self) -> list[str]:
        return [self._key, *super().secrets()]
