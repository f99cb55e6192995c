"""OpenAI-compatible Chat Completions: ``POST {base}/chat/completions`` with ``stream: true``.

This is how users measure gateways (vLLM, LiteLLM, OpenRouter, a self-hosted proxy), so the
parser is lenient where gateways differ and strict where measurement depends on it: a content
delta is a chunk with a non-empty ``delta.content`` (the answer: TTFT is the first one); a
non-empty ``reasoning_content``/``reasoning`` (the gateways' thinking text) is a reasoning delta,
timed apart (``ttfr_ms``) and never TTFT; tokens come from the final ``usage`` chunk that
``stream_options.include_usage`` asks for; ``data: [DONE]`` is the terminal event.
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
from sre_latency.probe.providers.urls import endpoint_url

DEFAULT_BASE_URL = "https://api.openai.com/v1"

# OpenAI / gateway error ``type`` or ``code`` values that say more than the status does.
ERROR_TYPES: dict[str, ErrorClass] = {
    "invalid_api_key": "auth",
    "authentication_error": "auth",
    "permission_error": "auth",
    "insufficient_quota": "rate_limit",
    "rate_limit_exceeded": "rate_limit",
    "rate_limit_error": "rate_limit",
    "overloaded_error": "overloaded",
    "server_error": "server",
    "invalid_request_error": "client",
}


def _error_text(obj: dict) -> tuple[str | None, str]:
    """(type or code, message) of ``{"error": {...}}`` or vLLM's ``{"object": "error", ...}``."""
    err = obj.get("error")
    if isinstance(err, dict):
        etype = _label(err.get("type")) or _label(err.get("code"))
        return etype, text_or_empty(err.get("message"))
    if isinstance(err, str):
        return None, err
    return _label(obj.get("type")), text_or_empty(obj.get("message"))


def _label(value: object) -> str | None:
    """An error type or code: a string or a number (``"code": 429``), never a nested value."""
    ok = isinstance(value, str | int | float) and not isinstance(value, bool)
    return str(value) if ok and value else None


class OpenAIStreamParser(SSEStreamParser):
    """Chat Completions SSE → StreamState."""

    __slots__ = ()
    terminal = "data: [DONE]"

    def _events(self, events: list[SSEEvent], t_ns: int, state: StreamState) -> None:
        for event, payload in events:
            if state.error is not None:
                return
            if payload == b"[DONE]":
                state.done = True
                continue
            obj = _json(payload)
            if obj is None:
                state.fail("protocol", "malformed JSON in SSE data")
                return
            if event == b"error" or obj.get("error") or obj.get("object") == "error":
                etype, message = _error_text(obj)
                state.fail("stream_error", f"{etype}: {message}" if etype else message)
                return
            choices = obj.get("choices")
            if choices:
                _deltas(choices, t_ns, state)
            usage = obj.get("usage")
            if isinstance(usage, dict):
                _usage(usage, state)


def _deltas(choices: object, t_ns: int, state: StreamState) -> None:
    """At most one content and one reasoning delta per chunk, whatever its number of choices."""
    content = reasoning = False
    for choice in choices if isinstance(choices, list) else ():
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if isinstance(delta, dict):
            content = content or bool(delta.get("content"))
            reasoning = reasoning or bool(delta.get("reasoning_content") or delta.get("reasoning"))
    if reasoning:
        state.reasoning(t_ns)
    if content:
        state.content(t_ns)


def _usage(usage: dict, state: StreamState) -> None:
    if (v := _int(usage.get("prompt_tokens"))) is not None:
        state.input_tokens = v
    if (v := _int(usage.get("completion_tokens"))) is not None:
        state.output_tokens = v
    details = usage.get("prompt_tokens_details")
    if isinstance(details, dict) and (v := _int(details.get("cached_tokens"))) is not None:
        state.cache_read_tokens = v


def error_from_body(status: int, body: bytes) -> SampleError:
    obj = _json(body) or {}
    etype, message = _error_text(obj)
    class_ = ERROR_TYPES.get(etype) if etype else None
    if status in (401, 403, 429) or status >= 500:
        class_ = classify_http_status(status)  # the status is authoritative for these
    message = message or body[:200].decode("utf-8", "replace") or f"HTTP {status}"
    return sample_error(
        class_ or classify_http_status(status), f"{etype}: {message}" if etype else message, status
    )


class OpenAIAdapter(Adapter):
    """Streams ``/chat/completions`` with ``Authorization: Bearer``."""

    provider = "openai"

    def __init__(self, target, settings):
        super().__init__(target, settings)
        self._key = key = required_credential(
            settings.env, "OPENAI_API_KEY", "export it (any value for a gateway without auth)"
        )
        self._headers = {
            "authorization": f"Bearer {key}",
            "content-type": "application/json",
            "accept": "text/event-stream",
        }
        # The Bearer key owns the Authorization header: a base URL's user:password is not sent.
        self._url = endpoint_url(target.base_url, "/chat/completions")

    def prepare(self, prompt: Prompt, max_tokens: int) -> PreparedRequest:
        messages = []
        if prompt.system:
            messages.append({"role": "system", "content": prompt.system})
        messages.append({"role": "user", "content": prompt.user})
        body = {
            "model": self.target.model,
            "max_tokens": max_tokens,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        return PreparedRequest("POST", self._url, dict(self._headers), compact_json(body))

    def parser(self) -> StreamParser:
        return OpenAIStreamParser()

    def error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> SampleError:
        error = error_from_body(status, body)  # a gateway may echo the key it refused
        return error.model_copy(update={"message": scrub(error.message, self.secrets())})

    def secrets(self) -> list[str]:
        return [self._key, *super().secrets()]
