"""Anthropic Messages API: ``POST /v1/messages`` (SSE and JSON) and ``/v1/messages/count_tokens``.

Event sequence and error shapes follow docs/protocols.md; the official ``anthropic`` SDK parses every
response, including each injected fault. Content comes from a synthetic text of
``output_tokens`` word pieces, or from the scripted conversation when one is loaded.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sre_latency.emulator.content import (
    estimate_input_tokens,
    json_bytes,
    split_text,
    synthetic_pieces,
)
from sre_latency.emulator.http import Event, Request, Responder
from sre_latency.emulator.http_request import messages_body
from sre_latency.emulator.state import EmulatorState, Schedule, sleep_until

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
HTTP_FAULTS = {
    "auth": (401, "Invalid API key (injected by the emulator)."),
    "permission": (403, "Your API key does not have permission (injected by the emulator)."),
    "rate_limit": (429, "Rate limit exceeded (injected by the emulator)."),
    "overloaded": (529, "Overloaded (injected by the emulator)."),
    "server": (500, "Internal server error (injected by the emulator)."),
    "client": (400, "Invalid request (injected by the emulator)."),
}
RATE_LIMIT_REQUESTS = 4000
RATE_LIMIT_TOKENS = 2_000_000
TOOL_JSON_PIECE_CHARS = 12
MID_STREAM_FAULTS = ("cut", "stream_error", "truncate", "malformed")
MALFORMED = b'event: content_block_delta\ndata: {"type":"content_block_delta",\n\n'


def sse(event: str, data: dict[str, Any]) -> bytes:
    return b"event: %b\ndata: %b\n\n" % (event.encode(), json_bytes(data))


PING = sse("ping", {"type": "ping"})
MESSAGE_STOP = sse("message_stop", {"type": "message_stop"})
_TEXT_DELTA_CACHE: dict[str, bytes] = {}


def text_delta_event(index: int, text: str) -> bytes:
    """One ``content_block_delta`` text event; block-0 events of the synthetic text are cached."""
    if index == 0 and (cached := _TEXT_DELTA_CACHE.get(text)) is not None:
        return cached
    event = sse(
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "text_delta", "text": text},
        },
    )
    if index == 0 and len(_TEXT_DELTA_CACHE) < 4096:
        _TEXT_DELTA_CACHE[text] = event
    return event


@dataclass
class Block:
    """One content block to play: its start payload, delta events and final (non-stream) form."""

    start: dict[str, Any]
    deltas: list[bytes]
    final: dict[str, Any]
    trailer: list[bytes] = field(default_factory=list)  # non-content deltas (signature)


@dataclass
class Reply:
    blocks: list[Block] = field(default_factory=list)
    stop_reason: str = "end_turn"
    output_tokens: int = 0


def api_key(req: Request) -> str:
    key = req.headers.get("x-api-key", "")
    if not key:
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else ""
    return key


def _thinking_block(tokens: int, request_id: str) -> Block:
    """A thinking block of ``tokens`` pieces closed by a signature, as extended thinking streams."""
    pieces = synthetic_pieces(tokens)
    signature = "emulated-signature-" + request_id
    deltas = [
        sse(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "thinking_delta", "thinking": p},
            },
        )
        for p in pieces
    ]
    trailer = sse(
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": signature},
        },
    )
    final = {"type": "thinking", "thinking": "".join(pieces), "signature": signature}
    return Block({"type": "thinking", "thinking": "", "signature": ""}, deltas, final, [trailer])


def _synthetic_reply(body: dict[str, Any], state: EmulatorState, request_id: str) -> Reply:
    wanted = (profile := state.profile).output_tokens
    max_tokens = body.get("max_tokens")
    budget = max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else None
    blocks: list[Block] = []
    thinking = body.get("thinking")
    asked = isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")
    thinking_tokens = profile.reasoning_tokens or (profile.thinking_tokens if asked else 0)
    if thinking_tokens and budget is not None:
        thinking_tokens = min(thinking_tokens, budget - 1)
        budget -= thinking_tokens
    if thinking_tokens > 0:
        blocks.append(_thinking_block(thinking_tokens, request_id))
    n = min(wanted, budget) if budget is not None else wanted
    pieces = synthetic_pieces(n)
    index = len(blocks)
    blocks.append(
        Block(
            start={"type": "text", "text": ""},
            deltas=[text_delta_event(index, p) for p in pieces],
            final={"type": "text", "text": "".join(pieces)},
        )
    )
    output_tokens = sum(len(b.deltas) for b in blocks)
    return Reply(blocks, "end_turn" if n == wanted else "max_tokens", output_tokens)


def _scripted_reply(body: dict[str, Any], state: EmulatorState) -> Reply:
    turn = state.script.reply(body)
    reply = Reply(stop_reason=turn.stop_reason)
    for index, content in enumerate(turn.content):
        if content.get("type") == "tool_use":
            tool_input = content.get("input") or {}
            encoded = json.dumps(tool_input, separators=(",", ":"))
            chunks = [
                encoded[i : i + TOOL_JSON_PIECE_CHARS]
                for i in range(0, len(encoded), TOOL_JSON_PIECE_CHARS)
            ]
            start = {"type": "tool_use", "id": content["id"], "name": content["name"], "input": {}}
            deltas = [
                sse(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": chunk},
                    },
                )
                for chunk in chunks
            ]
            final = {**start, "input": tool_input}
        else:
            text = str(content.get("text", ""))
            start = {"type": "text", "text": ""}
            deltas = [text_delta_event(index, piece) for piece in split_text(text)]
            final = {"type": "text", "text": text}
        reply.blocks.append(Block(start, deltas, final))
        reply.output_tokens += len(deltas)
    reply.output_tokens = max(1, reply.output_tokens)
    return reply


def _usage(input_usage: dict[str, int], output_tokens: int) -> dict[str, int]:
    return {**input_usage, "output_tokens": output_tokens}


def _headers(request_id: str, content_type: str) -> list[tuple[str, str]]:
    now = datetime.now(UTC)
    reset = (now.replace(second=0, microsecond=0) + timedelta(minutes=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    headers = [("content-type", content_type), ("request-id", request_id)]
    for kind, limit in (
        ("requests", RATE_LIMIT_REQUESTS),
        ("tokens", RATE_LIMIT_TOKENS),
        ("input-tokens", RATE_LIMIT_TOKENS),
        ("output-tokens", RATE_LIMIT_TOKENS // 5),
    ):
        headers += [
            (f"anthropic-ratelimit-{kind}-limit", str(limit)),
            (f"anthropic-ratelimit-{kind}-remaining", str(limit - 1)),
            (f"anthropic-ratelimit-{kind}-reset", reset),
        ]
    return headers


async def send_error(
    resp: Responder, status: int, message: str, state: EmulatorState | None = None
) -> None:
    body = {
        "type": "error",
        "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message},
        "request_id": resp.record.request_id,
    }
    headers = [("content-type", "application/json"), ("request-id", resp.record.request_id)]
    if status == 429 and state is not None:
        headers.append(("retry-after", str(state.profile.retry_after_s)))
    if status in (429, 529) and state is not None:
        headers.append(("x-should-retry", "true"))
    await resp.send_full(status, headers, json_bytes(body))


async def _admit(req: Request, resp: Responder, state: EmulatorState) -> dict[str, Any] | None:
    """Common checks: method, key, JSON body. Returns the body, or None after an error reply."""
    resp.record.protocol = "anthropic"
    resp.record.request_id = state.new_request_id()
    no_key = "x-api-key header or Authorization: Bearer is required."
    refuse = functools.partial(send_error, resp)
    return await messages_body(req, bool(api_key(req)), refuse, no_key, "messages: Field required.")


async def handle_count_tokens(req: Request, resp: Responder, state: EmulatorState) -> None:
    body = await _admit(req, resp, state)
    if body is None:
        return
    tokens = estimate_input_tokens(body.get("system"), body["messages"], body.get("tools"))
    headers = [("content-type", "application/json"), ("request-id", resp.record.request_id)]
    await resp.send_full(200, headers, json_bytes({"input_tokens": tokens}))


async def handle_messages(req: Request, resp: Responder, state: EmulatorState) -> None:
    body = await _admit(req, resp, state)
    if body is None:
        return
    if not isinstance(body.get("max_tokens"), int) and state.script is None:
        await send_error(resp, 400, "max_tokens: Field required.")
        return
    fault = resp.record.fault = await state.admit(req, resp, "anthropic")
    schedule = state.schedule(req, "anthropic")
    await sleep_until(schedule.first_byte_ns)
    if fault in HTTP_FAULTS:
        status, message = HTTP_FAULTS[fault]
        await send_error(resp, status, message, state)
        return
    resp.record.tools_offered = len(body.get("tools") or []) if state.script is not None else -1
    reply = (
        _scripted_reply(body, state)
        if state.script is not None
        else _synthetic_reply(body, state, resp.record.request_id)
    )
    input_usage = state.prompt_usage(body)
    model = str(body.get("model", "claude-emulated"))
    message_id = "msg_" + resp.record.request_id.removeprefix("req_")
    stall_ms = state.profile.stall_ms if fault == "stall" else 0.0
    if body.get("stream") is True:
        await _stream(resp, state, schedule, reply, fault, stall_ms, input_usage, model, message_id)
        return
    due_ns = schedule.first_token_at(stall_ms)
    for _ in range(reply.output_tokens - 1):
        due_ns = schedule.next_token_at()
    await sleep_until(due_ns)
    if fault == "cut":
        resp.cut()  # the connection closes without an answer
        return
    if fault == "stream_error":  # without a stream, an error mid-generation is an HTTP error
        status, message_text = HTTP_FAULTS["overloaded"]
        await send_error(resp, status, message_text, state)
        return
    message = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [block.final for block in reply.blocks],
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": _usage(input_usage, reply.output_tokens),
    }
    payload = json_bytes(message)
    if fault in ("truncate", "malformed"):  # a 200 whose JSON body stops halfway
        payload = payload[: len(payload) // 2]
    await resp.send_full(200, _headers(resp.record.request_id, "application/json"), payload)


async def _stream(
    resp: Responder,
    state: EmulatorState,
    schedule: Schedule,
    reply: Reply,
    fault: str | None,
    stall_ms: float,
    input_usage: dict[str, int],
    model: str,
    message_id: str,
) -> None:
    """Plan every event's due time, then play the plan; mid-stream faults cut into it."""
    await resp.start(200, _headers(resp.record.request_id, "text/event-stream; charset=utf-8"))
    message = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": _usage(input_usage, 1),
    }
    due_ns = schedule.first_byte_ns
    events: list[Event] = [
        (
            due_ns,
            sse("message_start", {"type": "message_start", "message": message}),
            "message_start",
            False,
        )
    ]
    total_deltas = sum(len(b.deltas) for b in reply.blocks)
    fail_after = max(1, total_deltas // 2)  # mid-stream faults strike after half the deltas
    fault_at = 0
    sent = 0
    for index, block in enumerate(reply.blocks):
        start = {"type": "content_block_start", "index": index, "content_block": block.start}
        events.append((due_ns, sse("content_block_start", start), "content_block_start", False))
        if index == 0:
            events.append((due_ns, PING, "ping", False))
        label = "thinking_delta" if block.start.get("type") == "thinking" else "content_block_delta"
        for delta in block.deltas:  # thinking is reasoning, not the answer's content
            due_ns = schedule.first_token_at(stall_ms) if sent == 0 else schedule.next_token_at()
            events.append((due_ns, delta, label, label == "content_block_delta"))
            sent += 1
            if sent == fail_after:
                fault_at = len(events)
        events.extend((due_ns, trailer, "signature_delta", False) for trailer in block.trailer)
        stop = {"type": "content_block_stop", "index": index}
        events.append((due_ns, sse("content_block_stop", stop), "content_block_stop", False))
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
        "usage": {"output_tokens": reply.output_tokens},
    }
    events.append((due_ns, sse("message_delta", delta), "message_delta", False))
    events.append((due_ns, MESSAGE_STOP, "message_stop", False))
    if fault in MID_STREAM_FAULTS and fault_at:
        await _play_with_fault(resp, events, fault_at, fault)
        return
    await resp.play(events)
    await resp.end()


async def _play_with_fault(resp: Responder, events: list[Event], fault_at: int, fault: str) -> None:
    """Play the first ``fault_at`` events, then break the stream the way ``fault`` says."""
    due_ns = events[fault_at - 1][0]
    if fault == "malformed":  # a data line that is not JSON, then the stream goes on
        events.insert(fault_at, (due_ns, MALFORMED, "malformed", False))
        await resp.play(events)
        await resp.end()
        return
    await resp.play(events[:fault_at])
    if fault == "cut":
        resp.cut()
        return
    if fault == "stream_error":
        error = {
            "type": "error",
            "error": {
                "type": "overloaded_error",
                "message": "Overloaded (injected by the emulator).",
            },
            "request_id": resp.record.request_id,
        }
        await resp.send(sse("error", error), "error")
    await resp.end()  # stream_error ends after its error event; truncate just stops
