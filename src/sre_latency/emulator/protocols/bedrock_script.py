"""Scripted conversations on Bedrock's ``invoke`` routes, as Claude Code calls them.

Claude Code on Bedrock (``CLAUDE_CODE_USE_BEDROCK=1``) sends each turn to
``/model/{id}/invoke-with-response-stream`` with an Anthropic Messages body (no ``model``, no
``stream``, ``anthropic_version: bedrock-2023-05-31``), and three one-token ``/invoke`` probes
first. The turn is chosen from the request exactly as on the Anthropic route (``Script.reply``:
the probes and other side requests get a short text and use up no turn). The reply is the same
sequence of Anthropic events — ``message_start``, per block ``content_block_start``, its
``text_delta`` or ``input_json_delta`` pieces, ``content_block_stop``, then ``message_delta``
and ``message_stop`` with ``amazon-bedrock-invocationMetrics`` — each base64 in a ``chunk``
frame. Timing follows the profile: Bedrock's overhead before the first byte, TTFT to the first
delta, then one inter-token gap per delta.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from sre_latency.emulator.content import estimate_input_tokens, json_bytes, split_text
from sre_latency.emulator.http import Responder
from sre_latency.emulator.protocols.eventstream import EVENTSTREAM, event_frame
from sre_latency.emulator.state import Schedule, sleep_until

TOOL_JSON_PIECE_CHARS = 12  # like the Anthropic route: tool input streamed in small pieces


def _chunk(event: dict[str, Any]) -> bytes:
    return event_frame("chunk", {"bytes": base64.b64encode(json_bytes(event)).decode()})


def block_events(index: int, block: dict[str, Any]) -> tuple[dict, list[dict], dict]:
    """(content_block_start, its deltas, the final block) for one scripted content block."""
    if block.get("type") == "tool_use":
        encoded = json.dumps(block.get("input") or {}, separators=(",", ":"))
        pieces = [encoded[i : i + TOOL_JSON_PIECE_CHARS]
                  for i in range(0, len(encoded), TOOL_JSON_PIECE_CHARS)]  # fmt: skip
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces]
        final = {**start, "input": block.get("input") or {}}
    else:
        text = str(block.get("text", ""))
        start = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in split_text(text)]
        final = {"type": "text", "text": text}
    opening = {"type": "content_block_start", "index": index, "content_block": start}
    events = [{"type": "content_block_delta", "index": index, "delta": d} for d in deltas]
    return opening, events, final


async def play_turn(
    resp: Responder, turn: Any, model_id: str, body: dict[str, Any], schedule: Schedule,
    received_ns: int, stream: bool,
) -> None:  # fmt: skip
    """Send one scripted turn (``ScriptedTurn``) as an invoke reply, streamed or as JSON."""
    request_id = resp.record.request_id
    input_tokens = estimate_input_tokens(
        body.get("system"), body.get("messages"), body.get("tools")
    )
    blocks = [block_events(i, b) for i, b in enumerate(turn.content)]
    output_tokens = max(1, sum(len(deltas) for _, deltas, _ in blocks))
    if not stream:
        await _json_turn(resp, turn, model_id, blocks, schedule, input_tokens, output_tokens)
        return
    headers = [("content-type", EVENTSTREAM), ("x-amzn-requestid", request_id),
               ("x-amzn-bedrock-content-type", "application/json")]  # fmt: skip
    await resp.start(200, headers)
    message = {"id": "msg_bdrk_" + request_id, "type": "message", "role": "assistant",
               "model": model_id, "content": [], "stop_reason": None, "stop_sequence": None,
               "usage": {"input_tokens": input_tokens, "output_tokens": 1}}  # fmt: skip
    await resp.send(_chunk({"type": "message_start", "message": message}), "message_start")
    first_content_ns = 0
    for index, (opening, deltas, _) in enumerate(blocks):
        await resp.send(_chunk(opening), "content_block_start")
        for delta in deltas:
            await sleep_until(schedule.first_token_at() if not first_content_ns
                              else schedule.next_token_at())  # fmt: skip
            sent_ns = await resp.send(_chunk(delta), "content_block_delta", content=True)
            first_content_ns = first_content_ns or sent_ns
        await resp.send(
            _chunk({"type": "content_block_stop", "index": index}), "content_block_stop"
        )
    delta = {"type": "message_delta", "delta": {"stop_reason": turn.stop_reason,
             "stop_sequence": None}, "usage": {"output_tokens": output_tokens}}  # fmt: skip
    await resp.send(_chunk(delta), "message_delta")
    metrics = {"inputTokenCount": input_tokens, "outputTokenCount": output_tokens,
               "invocationLatency": _ms_since(received_ns),
               "firstByteLatency": _ms_since(received_ns, first_content_ns)}  # fmt: skip
    stop = {"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics}
    await resp.send(_chunk(stop), "message_stop")
    await resp.end()


async def _json_turn(resp: Responder, turn: Any, model_id: str, blocks: list, schedule: Schedule,
                     input_tokens: int, output_tokens: int) -> None:  # fmt: skip
    due_ns = schedule.first_token_at()
    for _ in range(output_tokens - 1):
        due_ns = schedule.next_token_at()
    await sleep_until(due_ns)
    request_id = resp.record.request_id
    message = {"id": "msg_bdrk_" + request_id, "type": "message", "role": "assistant",
               "model": model_id, "content": [final for _, _, final in blocks],
               "stop_reason": turn.stop_reason, "stop_sequence": None,
               "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}}  # fmt: skip
    headers = [("content-type", "application/json"), ("x-amzn-requestid", request_id)]
    await resp.send_full(200, headers, json_bytes(message))


def _ms_since(start_ns: int, until_ns: int | None = None) -> int:
    from time import perf_counter_ns

    return ((until_ns or perf_counter_ns()) - start_ns) // 1_000_000
