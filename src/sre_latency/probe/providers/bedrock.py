"""AWS Bedrock Runtime: ``invoke-with-response-stream`` (default) and ``converse-stream``.

The invoke body is the Anthropic Messages body plus ``"anthropic_version": "bedrock-2023-05-31"``
(no ``model``/``stream``), so Bedrock and the Anthropic API get the same prompt bytes. Requests
are signed by ``probe/bedrock_auth.py`` (SigV4 or a Bedrock API key) and sent by the engine's
HTTP client; the binary event stream is decoded with ``botocore.eventstream.EventStreamBuffer``.
botocore is imported when the adapter is constructed, never when this module is imported.

Content deltas: invoke ``chunk`` frames whose decoded Anthropic event is a non-empty text
``content_block_delta``; converse ``contentBlockDelta`` with text. Thinking (invoke
``thinking_delta``, converse ``reasoningContent`` text) is a reasoning delta, timed apart. Each
delta is timed at the arrival of its frame's first byte. Terminal events: invoke's
``message_stop`` chunk carrying ``amazon-bedrock-invocationMetrics``; converse ``messageStop``
plus ``metadata``. Server-side figures: ``server_latency_ms`` from ``invocationLatency`` /
``metadata.metrics.latencyMs``, ``server_ttft_ms`` from ``firstByteLatency`` (invoke only).

Error mapping (docs/contract.md#error-classes). HTTP errors are classified by ``x-amzn-ErrorType`` (else the status):

==========================================================  ======  ============
x-amzn-ErrorType                                            status  class
==========================================================  ======  ============
ThrottlingException, ServiceQuotaExceededException         429/400 rate_limit
ModelNotReadyException, ServiceUnavailableException         429/503 overloaded
AccessDenied, UnrecognizedClient, InvalidSignature,         403     auth
IncompleteSignature, MissingAuthenticationToken,
ExpiredToken (…Exception)
InternalServerException, ModelErrorException,               500/424 server
ModelStreamErrorException
ModelTimeoutException                                       408     timeout
ValidationException, ResourceNotFoundException, Conflict…   4xx     client
anything else                                               any     by status
==========================================================  ======  ============

Inside a 200 stream every error (``:message-type: exception`` frames such as
``throttlingException`` or ``modelStreamErrorException``, unmodelled ``:message-type: error``
frames, and Anthropic ``error`` events inside invoke chunks) is ``stream_error`` with the
exception type first in the message, like the other providers' mid-stream errors, so error
classes compare like with like across providers. A bad CRC, an undecodable frame, a truncated
frame or a stream ending without its terminal event is ``protocol``.
"""

from __future__ import annotations

import base64
import binascii
import json
from abc import abstractmethod
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from sre_latency.core.catalogue import resolve_model
from sre_latency.core.contract import SampleError
from sre_latency.core.redact import scrub, url_secrets
from sre_latency.errors import ConfigError, ErrorClass, classify_http_status
from sre_latency.probe.providers.anthropic import merge_usage, record_delta, stream_error_text
from sre_latency.probe.providers.base import (
    Adapter,
    PreparedRequest,
    ProbeSettings,
    Prompt,
    StreamParser,
    StreamState,
    Target,
    compact_json,
    sample_error,
    text_or_empty,
)
from sre_latency.probe.providers.base import int_or_none as _int
from sre_latency.probe.providers.bedrock_auth import (
    REGION_MISSING,
    bedrock_endpoint,
    find_region,
    resolve_signer,
)
from sre_latency.probe.providers.urls import endpoint_url

BEDROCK_ANTHROPIC_VERSION = "bedrock-2023-05-31"
BEDROCK_APIS = ("invoke", "converse")
_ACTIONS = {"invoke": "invoke-with-response-stream", "converse": "converse-stream"}

HTTP_ERROR_TYPES: dict[str, ErrorClass] = {
    "ThrottlingException": "rate_limit",
    "ServiceQuotaExceededException": "rate_limit",
    "ModelNotReadyException": "overloaded",
    "ServiceUnavailableException": "overloaded",
    "AccessDeniedException": "auth",
    "UnrecognizedClientException": "auth",
    "InvalidSignatureException": "auth",
    "IncompleteSignatureException": "auth",
    "MissingAuthenticationTokenException": "auth",
    "ExpiredTokenException": "auth",
    "InternalServerException": "server",
    "ModelErrorException": "server",
    "ModelStreamErrorException": "server",
    "ModelTimeoutException": "timeout",
    "ValidationException": "client",
    "ResourceNotFoundException": "client",
    "ConflictException": "client",
}


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _ms(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # a 400-digit integer is no latency
            return None
    return None


def parse_guardrail(value: str) -> tuple[str, str]:
    """``ID:VERSION`` → (id, version); the id may be an ARN, so split at the last colon."""
    ident, sep, version = value.rpartition(":")
    if not sep or not ident or not version:
        raise ConfigError(
            f"--bedrock-guardrail must be ID:VERSION (e.g. gr-abc123:1 or gr-abc123:DRAFT), "
            f"not {value!r}."
        )
    return ident, version


class _Frames:
    """botocore's EventStreamBuffer, plus the arrival time of each frame's first byte."""

    __slots__ = ("_buffer", "_chunks", "_consumed", "_received")

    def __init__(self) -> None:
        from botocore.eventstream import EventStreamBuffer

        self._buffer = EventStreamBuffer()
        self._chunks: deque[tuple[int, int]] = deque()  # (end offset, arrival ns)
        self._received = 0
        self._consumed = 0

    def feed(self, data: bytes, t_ns: int) -> Iterator[tuple[Any, int]]:
        """Complete frames as (EventStreamMessage, first-byte ns); botocore errors propagate."""
        self._received += len(data)
        self._chunks.append((self._received, t_ns))
        self._buffer.add_data(data)
        for message in self._buffer:
            chunks = self._chunks
            while chunks[0][0] <= self._consumed:
                chunks.popleft()
            started_ns = chunks[0][1]
            self._consumed += message.prelude.total_length
            yield message, started_ns

    @property
    def pending_bytes(self) -> int:
        return self._received - self._consumed


class _EventStreamParser(StreamParser):
    """Frames → StreamState; subclasses interpret ``:message-type: event`` payloads."""

    terminal = ""

    def __init__(self) -> None:
        self._frames = _Frames()

    def feed(self, data: bytes, t_ns: int, state: StreamState) -> None:
        if state.error is not None:
            return
        try:
            for message, started_ns in self._frames.feed(data, t_ns):
                self._message(message.headers, message.payload, started_ns, state)
                if state.error is not None:
                    return
        except Exception as exc:  # botocore ParserError (bad CRC, lengths) or malformed bytes
            state.fail("protocol", f"bad event-stream frame ({type(exc).__name__})")

    def _message(
        self, headers: Mapping[str, Any], payload: bytes, t_ns: int, state: StreamState
    ) -> None:
        kind = headers.get(":message-type")
        if kind == "event":
            self._event(str(headers.get(":event-type")), payload, t_ns, state)
        elif kind == "exception":
            obj = _json(payload)
            text = text_or_empty(obj.get("message")) if isinstance(obj, dict) else ""
            state.fail("stream_error", f"{headers.get(':exception-type')}: {text}".strip(": "))
        elif kind == "error":
            code, text = headers.get(":error-code"), headers.get(":error-message", "")
            state.fail("stream_error", f"{code}: {text}".strip(": "))
        else:
            state.fail("protocol", f"event-stream frame with :message-type {kind!r}")

    @abstractmethod
    def _event(self, event_type: str, payload: bytes, t_ns: int, state: StreamState) -> None:
        """One ``:message-type: event`` frame whose first byte arrived at ``t_ns``."""

    def close(self, state: StreamState) -> None:
        if state.error is not None:
            return
        if self._frames.pending_bytes:
            state.fail(
                "protocol", f"truncated event-stream frame ({self._frames.pending_bytes} bytes)"
            )
        elif not state.done:
            state.fail("protocol", f"stream ended without {self.terminal}")


class InvokeStreamParser(_EventStreamParser):
    """``chunk`` frames, each ``{"bytes": base64(one Anthropic event)}``."""

    terminal = "the message_stop chunk with amazon-bedrock-invocationMetrics"

    def _event(self, event_type: str, payload: bytes, t_ns: int, state: StreamState) -> None:
        if event_type != "chunk":
            return
        frame = _json(payload)
        try:
            event = json.loads(base64.b64decode(frame["bytes"], validate=True))
        except (TypeError, KeyError, ValueError, binascii.Error, RecursionError):
            state.fail("protocol", "chunk frame without a base64 JSON event in 'bytes'")
            return
        if not isinstance(event, dict):
            state.fail("protocol", "chunk frame whose event is not a JSON object")
            return
        kind = event.get("type")
        if kind == "content_block_delta":
            record_delta(event.get("delta"), t_ns, state)
        elif kind == "message_start":
            message = event.get("message")
            if isinstance(message, dict):
                merge_usage(message.get("usage"), state)
        elif kind == "message_delta":
            merge_usage(event.get("usage"), state)
        elif kind == "message_stop":
            metrics = event.get("amazon-bedrock-invocationMetrics")
            if isinstance(metrics, dict):
                _invocation_metrics(metrics, state)
                state.done = True
        elif kind == "error":
            state.fail("stream_error", stream_error_text(event))


class ConverseStreamParser(_EventStreamParser):
    """ConverseStream events; done when both ``messageStop`` and ``metadata`` arrived."""

    terminal = "messageStop and metadata"

    def __init__(self) -> None:
        super().__init__()
        self._stopped = self._metadata = False

    def _event(self, event_type: str, payload: bytes, t_ns: int, state: StreamState) -> None:
        obj = _json(payload)
        if not isinstance(obj, dict):
            state.fail("protocol", f"{event_type} event without a JSON object payload")
            return
        if event_type == "contentBlockDelta":
            delta = obj.get("delta")
            delta = delta if isinstance(delta, dict) else {}
            reasoning = delta.get("reasoningContent")
            if isinstance(reasoning, dict) and reasoning.get("text"):
                state.reasoning(t_ns)  # reasoning text: TTFR, never TTFT
            if delta.get("text"):
                state.content(t_ns)
        elif event_type == "messageStop":
            self._stopped = True
        elif event_type == "metadata":
            self._metadata = True
            usage = obj.get("usage") if isinstance(obj.get("usage"), dict) else {}
            state.input_tokens = _int(usage.get("inputTokens"))
            state.output_tokens = _int(usage.get("outputTokens"))
            state.cache_read_tokens = _int(usage.get("cacheReadInputTokens"))
            state.cache_write_tokens = _int(usage.get("cacheWriteInputTokens"))
            metrics = obj.get("metrics") if isinstance(obj.get("metrics"), dict) else {}
            state.server_latency_ms = _ms(metrics.get("latencyMs"))
        state.done = self._stopped and self._metadata


def _invocation_metrics(metrics: Mapping[str, Any], state: StreamState) -> None:
    """Bedrock's own count and timing of the invocation override the stream's usage."""
    for key, attr in (
        ("inputTokenCount", "input_tokens"),
        ("outputTokenCount", "output_tokens"),
        ("cacheReadInputTokenCount", "cache_read_tokens"),
        ("cacheWriteInputTokenCount", "cache_write_tokens"),
    ):
        if (v := _int(metrics.get(key))) is not None:
            setattr(state, attr, v)
    state.server_latency_ms = _ms(metrics.get("invocationLatency"))
    state.server_ttft_ms = _ms(metrics.get("firstByteLatency"))


def error_type(headers: Mapping[str, str], body_obj: object) -> str:
    """``x-amzn-ErrorType: ThrottlingException:http://…`` → ``ThrottlingException``."""
    raw = headers.get("x-amzn-errortype") or ""
    if not raw and isinstance(body_obj, dict):
        raw = text_or_empty(body_obj.get("__type")) or text_or_empty(body_obj.get("code"))
        raw = raw.rpartition("#")[2]
    return raw.split(":", 1)[0].strip()


class BedrockAdapter(Adapter):
    """Bedrock Runtime streaming; ``target.options`` may carry ``api``, ``guardrail``, ``latency``."""

    provider = "bedrock"

    def __init__(self, target: Target, settings: ProbeSettings):
        super().__init__(target, settings)
        options = target.options
        self.api = options.get("api") or settings.bedrock_api or "invoke"
        if self.api not in BEDROCK_APIS:
            raise ConfigError(f"--bedrock-api must be converse or invoke, not {self.api!r}.")
        self.model_id = resolve_model(target.model, "bedrock", settings.bedrock_geo)
        self.guardrail = parse_guardrail(options["guardrail"]) if options.get("guardrail") else None
        self.latency = options.get("latency") or None
        if self.latency not in (None, "standard", "optimized"):
            raise ConfigError(
                f"--bedrock-latency must be optimized or standard, not {self.latency!r}."
            )
        env = settings.env
        region = find_region(env)
        self.endpoint = (target.base_url or bedrock_endpoint(env, region)).rstrip("/")
        self._signer = resolve_signer(env, self.endpoint, region)  # credentials first
        if not self.endpoint:
            raise ConfigError(REGION_MISSING)
        model_path = quote(self.model_id, safe="")  # ":" → %3A, as boto3 sends and signs it
        self.url = endpoint_url(self.endpoint, f"/model/{model_path}/{_ACTIONS[self.api]}")

    def body(self, prompt: Prompt, max_tokens: int) -> dict[str, Any]:
        """The JSON body: Anthropic Messages (invoke) or Converse, with the variant's options."""
        if self.api == "invoke":
            body: dict[str, Any] = {
                "anthropic_version": BEDROCK_ANTHROPIC_VERSION,
                "max_tokens": max_tokens,
                "messages": [{"role": "user", "content": prompt.user}],
            }
            if prompt.system:
                body["system"] = prompt.system
            return body
        body = {
            "messages": [{"role": "user", "content": [{"text": prompt.user}]}],
            "inferenceConfig": {"maxTokens": max_tokens},
        }
        if prompt.system:
            body["system"] = [{"text": prompt.system}]
        if self.guardrail:
            body["guardrailConfig"] = {
                "guardrailIdentifier": self.guardrail[0],
                "guardrailVersion": self.guardrail[1],
            }
        if self.latency:
            body["performanceConfig"] = {"latency": self.latency}
        return body

    def prepare(self, prompt: Prompt, max_tokens: int) -> PreparedRequest:
        content = compact_json(self.body(prompt, max_tokens))
        headers = {
            "content-type": "application/json",
            "accept": "application/vnd.amazon.eventstream",
        }
        if self.api == "invoke":
            if self.guardrail:
                headers["x-amzn-bedrock-guardrailidentifier"] = self.guardrail[0]
                headers["x-amzn-bedrock-guardrailversion"] = self.guardrail[1]
            if self.latency:
                headers["x-amzn-bedrock-performanceconfig-latency"] = self.latency
        signed = self._signer.sign("POST", self.url, headers, content)
        return PreparedRequest("POST", self.url, signed, content)

    def parser(self) -> StreamParser:
        return InvokeStreamParser() if self.api == "invoke" else ConverseStreamParser()

    def error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> SampleError:
        obj = _json(body)
        etype = error_type(headers, obj)
        text = ""
        if isinstance(obj, dict):
            text = text_or_empty(obj.get("message")) or text_or_empty(obj.get("Message"))
        elif body:
            text = body[:200].decode("utf-8", "replace")
        class_ = HTTP_ERROR_TYPES.get(etype) or classify_http_status(status)
        label = f"{etype}: {text}" if etype else (text or f"HTTP {status}")
        return sample_error(class_, scrub(label, self.secrets()), status)

    def secrets(self) -> list[str]:
        return [*self._signer.secrets(), *url_secrets(self.endpoint)]
