"""OpenAI-compatible Chat Completions: ``POST /v1/chat/completions`` (SSE and JSON).

The shape gateways such as vLLM and LiteLLM speak: ``chat.completion.chunk`` events, a final
usage chunk with ``choices: []`` when ``stream_options.include_usage`` is set, then
``data: [DONE]``. Errors use ``{"error": {message, type, param, code}}``.
"""

from __future__ import annotations

import time
from typing import Any

from sre_latency.emulator.content import estimate_input_tokens, json_bytes, synthetic_pieces
from sre_latency.emulator.http import Event, Request, Responder
from sre_latency.emulator.http_request import messages_body
from sre_latency.emulator.state import EmulatorState, Schedule, sleep_until

HTTP_FAULTS = {
    "auth": (401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    "permission": (403, "invalid_request_error", "permission_denied", "Permission denied."),
    "rate_limit": (429, "requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    "overloaded": (503, "server_error", "overloaded", "The server is overloaded."),
    "server": (500, "server_error", None, "The server had an error processing your request."),
    "client": (400, "invalid_request_error", None, "Invalid request."),
}
MID_STREAM_FAULTS = ("cut", "stream_error", "truncate", "malformed")
DONE = b"data: [DONE]\n\n"
MALFORMED = b'data: {"object":"chat.completion.chunk","choices":[{\n\n'
STREAM_ERROR = {
    "error": {
        "message": "The server is overloaded (injected by the emulator).",
        "type": "server_error",
        "param": None,
        "code": "overloaded",
    }
}


_CONTENT_TAILS: dict[str, bytes] = {}


def _content_tail(piece: str) -> bytes:
    """The request-independent end of a content chunk, cached per text piece."""
    tail = _CONTENT_TAILS.get(piece)
    if tail is None:
        choice = {"index": 0, "delta": {"content": piece}, "logprobs": None, "finish_reason": None}
        tail = json_bytes({"choices": [choice], "usage": None})[1:]
        if len(_CONTENT_TAILS) < 4096:
            _CONTENT_TAILS[piece] = tail
    return tail


def _data(value: dict[str, Any]) -> bytes:
    return b"data: %b\n\n" % json_bytes(value)


async def send_error(
    resp: Responder,
    status: int,
    message: str,
    error_type: str = "invalid_request_error",
    code: str | None = None,
    state: EmulatorState | None = None,
) -> None:
    body = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    headers = [("content-type", "application/json"), ("x-request-id", resp.record.request_id)]
    if status == 429 and state is not None:
        headers.append(("retry-after", str(state.profile.retry_after_s)))
    await resp.send_full(status, headers, json_bytes(body))


def bearer_token(req: Request) -> str:
    scheme, _, token = req.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _rate_headers(request_id: str, content_type: str) -> list[tuple[str, str]]:
    return [
        ("content-type", content_type),
        ("x-request-id", request_id),
        ("x-ratelimit-limit-requests", "10000"),
        ("x-ratelimit-remaining-requests", "9999"),
        ("x-ratelimit-reset-requests", "6ms"),
    ]


async def _checked_body(req: Request, resp: Responder, state: EmulatorState) -> dict | None:
    """The request's JSON body, or None after answering the client's mistake."""

    async def refuse(status: int, message: str) -> None:
        if status == 401:
            await send_error(resp, 401, message, code="invalid_api_key", state=state)
        else:
            await send_error(resp, status, message)

    no_key = "You didn't provide an API key."
    return await messages_body(req, bool(bearer_token(req)), refuse, no_key,
                               "'messages' is a required property.")  # fmt: skip


async def handle_chat_completions(req: Request, resp: Responder, state: EmulatorState) -> None:
    resp.record.protocol = "openai"
    resp.record.request_id = request_id = state.new_request_id()
    body = await _checked_body(req, resp, state)
    if body is None:
        return
    fault = resp.record.fault = await state.admit(req, resp, "openai")
    schedule = state.schedule(req, "openai")
    await sleep_until(schedule.first_byte_ns)
    if fault in HTTP_FAULTS:
        status, error_type, code, message = HTTP_FAULTS[fault]
        await send_error(
            resp, status, f"{message} (injected by the emulator)", error_type, code, state
        )
        return
    wanted, reasoning = state.profile.output_tokens, state.profile.reasoning_tokens
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and limit > 0:  # reasoning counts in the limit, as on OpenAI
        reasoning = min(reasoning, limit - 1)
        n = min(wanted, limit - reasoning)
    else:
        n = wanted
    finish_reason = "stop" if n == wanted else "length"
    usage = {
        "prompt_tokens": estimate_input_tokens(body["messages"], body.get("tools")),
        "completion_tokens": n + reasoning,
    }
    usage["total_tokens"] = usage["prompt_tokens"] + n
    base = {
        "id": "chatcmpl-" + request_id.removeprefix("req_"),
        "created": int(time.time()),
        "model": str(body.get("model", "emulated")),
        "system_fingerprint": None,
    }
    stall_ms = state.profile.stall_ms if fault == "stall" else 0.0
    pieces = synthetic_pieces(n)
    thoughts = synthetic_pieces(reasoning) if reasoning else []
    if body.get("stream") is True:
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        await _stream(
            resp, schedule, (thoughts, pieces), fault, stall_ms, base, finish_reason, usage,
            include_usage,
        )  # fmt: skip
        return
    await _complete(
        resp, state, schedule, (thoughts, pieces), fault, stall_ms, base, finish_reason, usage
    )


async def _complete(resp, state, schedule, parts, fault, stall_ms, base, finish_reason, usage):
    """A non-streamed completion, sent when its last token is due."""
    thoughts, pieces = parts
    due_ns = schedule.first_token_at(stall_ms)
    for _ in range(len(thoughts) + len(pieces) - 1):
        due_ns = schedule.next_token_at()
    await sleep_until(due_ns)
    if fault == "cut":
        resp.cut()  # the connection closes without an answer
        return
    if fault == "stream_error":  # without a stream, an error mid-generation is an HTTP error
        status, error_type, code, message = HTTP_FAULTS["overloaded"]
        await send_error(
            resp, status, f"{message} (injected by the emulator)", error_type, code, state
        )
        return
    completion = {
        **base,
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "".join(pieces),
                    "refusal": None,
                    **({"reasoning_content": "".join(thoughts)} if thoughts else {}),
                },
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage,
    }
    payload = json_bytes(completion)
    if fault in ("truncate", "malformed"):  # a 200 whose JSON body stops halfway
        payload = payload[: len(payload) // 2]
    await resp.send_full(200, _rate_headers(resp.record.request_id, "application/json"), payload)


async def _stream(
    resp: Responder,
    schedule: Schedule,
    parts: tuple[list[str], list[str]],
    fault: str | None,
    stall_ms: float,
    base: dict[str, Any],
    finish_reason: str,
    usage: dict[str, int],
    include_usage: bool,
) -> None:
    """Reasoning deltas (``delta.reasoning_content``), then the answer's content deltas."""
    thoughts, pieces = parts
    chunk_base = {**base, "object": "chat.completion.chunk"}
    prefix = json_bytes(chunk_base)[:-1]  # '{...' without the closing brace, reused per chunk

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        tail = json_bytes({"choices": [choice], "usage": None})[1:]
        return b"data: %b,%b\n\n" % (prefix, tail)

    await resp.start(200, _rate_headers(resp.record.request_id, "text/event-stream; charset=utf-8"))
    due_ns = schedule.first_byte_ns
    events: list[Event] = [(due_ns, chunk({"role": "assistant", "content": ""}), "role", False)]
    fail_after = max(1, len(pieces) // 2)  # mid-stream faults strike after half the deltas
    fault_at = 0
    for i, thought in enumerate(thoughts):
        due_ns = schedule.first_token_at(stall_ms) if i == 0 else schedule.next_token_at()
        events.append((due_ns, chunk({"reasoning_content": thought}), "reasoning_delta", False))
    for i, piece in enumerate(pieces):
        first = i == 0 and not thoughts
        due_ns = schedule.first_token_at(stall_ms) if first else schedule.next_token_at()
        events.append(
            (due_ns, b"data: %b,%b\n\n" % (prefix, _content_tail(piece)), "content_delta", True)
        )
        if i + 1 == fail_after:
            fault_at = len(events)
    events.append((due_ns, chunk({}, finish_reason), "finish", False))
    if include_usage:
        events.append(
            (due_ns, _data({**chunk_base, "choices": [], "usage": usage}), "usage", False)
        )
    events.append((due_ns, DONE, "done", False))
    if fault in MID_STREAM_FAULTS and fault_at:
        if fault == "malformed":
            events.insert(fault_at, (due_ns, MALFORMED, "malformed", False))
        else:
            await resp.play(events[:fault_at])
            if fault == "cut":
                resp.cut()
                return
            if fault == "stream_error":
                await resp.send(_data(STREAM_ERROR), "error")
            await resp.end()
            return
    await resp.play(events)
    await resp.end()
