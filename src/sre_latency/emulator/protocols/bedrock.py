"""Bedrock Runtime: ``/model/{id}/invoke-with-response-stream``, ``/converse-stream``, ``/invoke``,
``/converse`` — binary event streams (one frame per HTTP chunk) and JSON.

boto3's ``bedrock-runtime`` client accepts every response, including each injected fault.
Each request is authenticated first: SigV4 is verified against the profile's
``aws_access_key_id``/``aws_secret_access_key`` (403 ``InvalidSignatureException`` on a
mismatch, ``UnrecognizedClientException`` for another key), or ``Authorization: Bearer`` must
equal the emulator's Bedrock API key (``aws_bearer_token`` in the profile when present, else
``emulator-bedrock-api-key``).

Timing: ``bedrock_overhead_ms`` passes before the first byte (Bedrock routes only); a guardrail
(invoke headers or converse ``guardrailConfig``) adds ``guardrail_overhead_ms``; a
latency-optimized request uses ``bedrock_optimized_overhead_ms`` *instead of*
``bedrock_overhead_ms`` (default: half of it). Then the usual TTFT and inter-token gaps.
Metrics report the emulator's own server-side time, from the request fully read to the frame
that carries them: ``invocationLatency``/``latencyMs``, and ``firstByteLatency`` up to the first
content delta (whole milliseconds, like Bedrock).

Faults (``--fault [bedrock:]NAME:RATE``) as Bedrock sends them: ``auth`` 403
UnrecognizedClientException, ``permission`` 403 AccessDeniedException, ``rate_limit`` 429
ThrottlingException, ``overloaded`` 503 ServiceUnavailableException, ``server`` 500
InternalServerException, ``client`` 400 ValidationException; ``stall`` silence before the first
token; ``cut`` the connection closes mid-stream; ``truncate`` the stream ends without its
terminal events; ``malformed`` a frame with a bad CRC; ``stream_error`` an in-stream exception
frame after half the tokens, cycling through the API's modelled exceptions and one unmodelled
``:message-type: error`` frame, so a few requests show every kind.
"""

from __future__ import annotations

import itertools
import json
import random
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sre_latency.emulator.content import estimate_input_tokens, json_bytes, synthetic_pieces
from sre_latency.emulator.http import Request, Responder
from sre_latency.emulator.protocols.eventstream import (
    Reply,
    StreamFrames,
    converse_usage,
    error_frame,
    exception_frame,
)
from sre_latency.emulator.protocols.sigv4 import verify_sigv4
from sre_latency.emulator.state import EmulatorState, Schedule, sleep_until

DEFAULT_BEARER_TOKEN = "emulator-bedrock-api-key"  # accepted when the profile names none
ERROR_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.bedrock/"
HTTP_FAULTS = {
    "auth": (
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    ),
    "permission": (
        403,
        "AccessDeniedException",
        "You don't have access to the model with the specified model ID.",
    ),
    "rate_limit": (
        429,
        "ThrottlingException",
        "Too many requests, please wait before trying again.",
    ),
    "overloaded": (
        503,
        "ServiceUnavailableException",
        "Bedrock is unable to process your request.",
    ),
    "server": (500, "InternalServerException", "The server encountered an internal error."),
    "client": (
        400,
        "ValidationException",
        "The request failed validation (injected by the emulator).",
    ),
}
MID_STREAM_FAULTS = ("cut", "stream_error", "truncate", "malformed")
# In-stream exceptions each API models (botocore's ResponseStream / ConverseStreamOutput members).
STREAM_EXCEPTIONS = {
    "invoke": (
        "modelStreamErrorException",
        "internalServerException",
        "throttlingException",
        "validationException",
        "serviceUnavailableException",
        "modelTimeoutException",
    ),
    "converse": (
        "modelStreamErrorException",
        "internalServerException",
        "throttlingException",
        "validationException",
        "serviceUnavailableException",
    ),
}
UNMODELLED_ERROR = ("InternalFailure", "An unmodelled error (injected by the emulator).")
ACTIONS = {
    "invoke-with-response-stream": ("invoke", True),
    "converse-stream": ("converse", True),
    "invoke": ("invoke", False),
    "converse": ("converse", False),
}


@dataclass
class _Extras:
    """Per-emulator Bedrock state: padding randomness and the in-stream exception cycle."""

    padding: random.Random
    cycles: dict[str, itertools.count] = field(
        default_factory=lambda: {"invoke": itertools.count(), "converse": itertools.count()}
    )


_EXTRAS: weakref.WeakKeyDictionary[EmulatorState, _Extras] = weakref.WeakKeyDictionary()


def _extras(state: EmulatorState) -> _Extras:
    extras = _EXTRAS.get(state)
    if extras is None:
        extras = _EXTRAS[state] = _Extras(random.Random(f"bedrock-padding:{state.profile.seed}"))
    return extras


@dataclass
class _Call:
    """One parsed Bedrock request."""

    api: str  # invoke | converse
    stream: bool
    model_id: str
    body: dict[str, Any]
    guardrail: bool
    optimized: bool


async def send_error(resp: Responder, status: int, error_type: str, message: str) -> None:
    headers = [
        ("content-type", "application/json"),
        ("x-amzn-requestid", resp.record.request_id),
        ("x-amzn-errortype", f"{error_type}:{ERROR_NAMESPACE}"),
    ]
    await resp.send_full(status, headers, json_bytes({"message": message}))


def _authenticate(req: Request, state: EmulatorState) -> tuple[str, str] | None:
    """None when the request is signed with the emulator's credentials; else (type, message)."""
    scheme, _, token = req.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        expected = state.profile.aws_bearer_token or DEFAULT_BEARER_TOKEN
        if token.strip() != expected:
            return "UnrecognizedClientException", "Invalid API Key format or the key is unknown."
        return None
    host = req.headers.get("host", "127.0.0.1")
    url = f"http://{host}{req.raw_path}" + (f"?{urlencode(req.query)}" if req.query else "")
    return verify_sigv4(
        req.method,
        url,
        req.headers,
        req.body,
        access_key_id=state.profile.aws_access_key_id,
        secret_access_key=state.profile.aws_secret_access_key,
    )


def _parse(req: Request) -> tuple[_Call | None, tuple[int, str, str] | None]:
    """The call, or the (status, error type, message) to answer with."""
    rest = req.path.removeprefix("/model/")
    model_id, _, action = rest.rpartition("/")
    if req.method != "POST" or action not in ACTIONS or not model_id:
        return None, (404, "UnknownOperationException", f"No Bedrock operation at {req.path}.")
    api, stream = ACTIONS[action]
    try:
        body = json.loads(req.body or b"{}")
    except (ValueError, RecursionError):
        return None, (400, "ValidationException", "Malformed input request: the body is not JSON.")
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return None, (400, "ValidationException", "Malformed input request: messages is required.")
    if api == "invoke":
        if not isinstance(body.get("max_tokens"), int) or "anthropic_version" not in body:
            return None, (
                400,
                "ValidationException",
                "Malformed input request: anthropic_version and max_tokens are required.",
            )
        guardrail = "x-amzn-bedrock-guardrailidentifier" in req.headers
        optimized = req.headers.get("x-amzn-bedrock-performanceconfig-latency") == "optimized"
    else:
        guardrail = isinstance(body.get("guardrailConfig"), dict)
        perf = body.get("performanceConfig")
        optimized = isinstance(perf, dict) and perf.get("latency") == "optimized"
    return _Call(api, stream, model_id, body, guardrail, optimized), None


def overhead_ms(state: EmulatorState, call: _Call) -> float:
    """Time before the first byte: Bedrock's overhead (or the optimized one) plus the guardrail's."""
    profile = state.profile
    if call.optimized:
        optimized = profile.bedrock_optimized_overhead_ms
        base = profile.bedrock_overhead_ms / 2 if optimized is None else optimized
    else:
        base = profile.bedrock_overhead_ms
    return base + (profile.guardrail_overhead_ms if call.guardrail else 0.0)


def _max_tokens(call: _Call) -> int | None:
    if call.api == "invoke":
        value = call.body.get("max_tokens")
    else:
        config = call.body.get("inferenceConfig")
        value = config.get("maxTokens") if isinstance(config, dict) else None
    return value if isinstance(value, int) and value > 0 else None


async def handle(req: Request, resp: Responder, state: EmulatorState) -> None:
    resp.record.protocol = "bedrock"
    resp.record.request_id = state.new_request_id("")
    refused = _authenticate(req, state)
    if refused is not None:
        await send_error(resp, 403, *refused)
        return
    call, problem = _parse(req)
    if call is None:
        assert problem is not None
        await send_error(resp, *problem)
        return
    fault = resp.record.fault = await state.admit(req, resp, "bedrock")
    schedule = Schedule(state, req.received_ns, overhead_ms(state, call))
    await sleep_until(schedule.first_byte_ns)
    if fault in HTTP_FAULTS:
        await send_error(resp, *HTTP_FAULTS[fault])
        return
    if state.script is not None and call.api == "invoke":  # Claude Code on Bedrock
        from sre_latency.emulator.protocols.bedrock_script import play_turn

        resp.record.tools_offered = len(call.body.get("tools") or [])
        turn = state.script.reply(call.body)
        await play_turn(
            resp, turn, call.model_id, call.body, schedule, req.received_ns, call.stream
        )
        return
    wanted = state.profile.output_tokens
    limit = _max_tokens(call)
    n = min(wanted, limit) if limit else wanted
    reply = Reply(
        pieces=synthetic_pieces(n),
        stop_reason="end_turn" if n == wanted else "max_tokens",
        input_tokens=estimate_input_tokens(call.body.get("system"), call.body["messages"]),
        received_ns=req.received_ns,
    )
    stall_ms = state.profile.stall_ms if fault == "stall" else 0.0
    if call.stream:
        await _stream(resp, state, call, schedule, reply, fault, stall_ms)
    else:
        await _json_reply(resp, call, schedule, reply, fault, stall_ms)


async def _json_reply(
    resp: Responder,
    call: _Call,
    schedule: Schedule,
    reply: Reply,
    fault: str | None,
    stall_ms: float,
) -> None:
    due_ns = schedule.first_token_at(stall_ms)
    for _ in range(reply.output_tokens - 1):
        due_ns = schedule.next_token_at()
    await sleep_until(due_ns)
    if fault in MID_STREAM_FAULTS:
        resp.cut()  # no stream to break: the connection closes before the body
        return
    text = "".join(reply.pieces)
    latency_ms = reply.elapsed_ms()
    headers = [("content-type", "application/json"), ("x-amzn-requestid", resp.record.request_id)]
    if call.api == "invoke":
        body: dict[str, Any] = {
            "id": "msg_bdrk_" + resp.record.request_id,
            "type": "message",
            "role": "assistant",
            "model": call.model_id,
            "content": [{"type": "text", "text": text}],
            "stop_reason": reply.stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
        }
        headers += [
            ("x-amzn-bedrock-invocation-latency", str(latency_ms)),
            ("x-amzn-bedrock-input-token-count", str(reply.input_tokens)),
            ("x-amzn-bedrock-output-token-count", str(reply.output_tokens)),
        ]
    else:
        body = {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": reply.stop_reason,
            "usage": converse_usage(reply),
            "metrics": {"latencyMs": latency_ms},
        }
    await resp.send_full(200, headers, json_bytes(body))


async def _stream(
    resp: Responder,
    state: EmulatorState,
    call: _Call,
    schedule: Schedule,
    reply: Reply,
    fault: str | None,
    stall_ms: float,
) -> None:
    extras = _extras(state)
    frames = StreamFrames(
        call.api == "invoke",
        call.model_id,
        call.optimized,
        reply,
        extras.padding,
        resp.record.request_id,
    )
    await resp.start(200, frames.headers())
    for label, frame in frames.opening():
        await resp.send(frame, label)
    fail_after = max(1, reply.output_tokens // 2)
    for i, piece in enumerate(reply.pieces):
        await sleep_until(schedule.first_token_at(stall_ms) if i == 0 else schedule.next_token_at())
        frame = frames.delta(piece)
        sent_ns = await resp.send(frame, "content_block_delta", content=True)
        if i == 0:
            reply.first_content_ns = sent_ns
        if i + 1 == fail_after and fault in MID_STREAM_FAULTS:
            await _mid_stream_fault(resp, extras, call.api, fault, frame)
            return
    for label, frame in frames.closing():
        await resp.send(frame, label)
    await resp.end()


async def _mid_stream_fault(
    resp: Responder, extras: _Extras, api: str, fault: str, last_frame: bytes
) -> None:
    if fault == "cut":
        resp.cut()
        return
    if fault == "stream_error":
        kinds = STREAM_EXCEPTIONS[api]
        k = next(extras.cycles[api]) % (len(kinds) + 1)
        if k < len(kinds):
            frame = exception_frame(kinds[k], f"{kinds[k]} (injected by the emulator).")
            await resp.send(frame, kinds[k])
        else:
            await resp.send(error_frame(*UNMODELLED_ERROR), "error")
    elif fault == "malformed":
        corrupt = bytearray(last_frame)
        corrupt[-1] ^= 0xFF  # a wrong message CRC
        await resp.send(bytes(corrupt), "malformed")
    await resp.end()  # truncate: ends here, without the terminal events
