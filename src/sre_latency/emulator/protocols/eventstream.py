"""AWS event-stream frames for the emulator's Bedrock routes: the encoder (botocore only
decodes) and the frame sequence of one streamed reply, for invoke and for converse.

Frame layout (big-endian, docs/protocols.md)::

    total_len u32 | headers_len u32 | prelude_crc u32 (crc32 of the 8 bytes before it)
    headers: name_len u8, name, type u8 (7 = string), value_len u16, value   (repeated)
    payload
    message_crc u32 (crc32 of everything before it)
"""

from __future__ import annotations

import base64
import json
import random
import struct
from binascii import crc32
from collections.abc import Mapping
from dataclasses import dataclass
from time import perf_counter_ns
from typing import Any

_STRING = 7
EVENTSTREAM = "application/vnd.amazon.eventstream"
_PAD_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_PRELUDE_AND_CRC_LEN = 16  # 12-byte prelude + 4-byte message CRC


def _encode_headers(headers: Mapping[str, str]) -> bytes:
    out = bytearray()
    for name, value in headers.items():
        name_b, value_b = name.encode(), value.encode()
        out += struct.pack(">B", len(name_b)) + name_b
        out += struct.pack(">BH", _STRING, len(value_b)) + value_b
    return bytes(out)


def encode_frame(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One complete frame with string headers and both CRCs."""
    header_bytes = _encode_headers(headers)
    total = _PRELUDE_AND_CRC_LEN + len(header_bytes) + len(payload)
    prelude = struct.pack(">II", total, len(header_bytes))
    prelude += struct.pack(">I", crc32(prelude) & 0xFFFFFFFF)
    body = prelude + header_bytes + payload
    return body + struct.pack(">I", crc32(body) & 0xFFFFFFFF)


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def event_frame(event_type: str, payload: Any) -> bytes:
    """A modelled event (``:message-type: event``) with a JSON payload."""
    headers = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_frame(headers, _json(payload))


def exception_frame(exception_type: str, message: str) -> bytes:
    """A modelled in-stream exception, e.g. ``throttlingException`` (lowerCamel member name)."""
    headers = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_frame(headers, _json({"message": message}))


def error_frame(error_code: str, message: str) -> bytes:
    """An unmodelled error (``:message-type: error``) carried in headers, empty payload."""
    headers = {":error-code": error_code, ":error-message": message, ":message-type": "error"}
    return encode_frame(headers, b"")


@dataclass
class Reply:
    """What one reply says and when it started (the server-side clock of its metrics)."""

    pieces: list[str]
    stop_reason: str
    input_tokens: int
    received_ns: int
    first_content_ns: int = 0

    @property
    def output_tokens(self) -> int:
        return len(self.pieces)

    def elapsed_ms(self, until_ns: int | None = None) -> int:
        """Whole ms since the request was read (floored, so it never exceeds the client's view)."""
        return ((until_ns or perf_counter_ns()) - self.received_ns) // 1_000_000


def converse_usage(reply: Reply) -> dict[str, int]:
    return {
        "inputTokens": reply.input_tokens,
        "outputTokens": reply.output_tokens,
        "totalTokens": reply.input_tokens + reply.output_tokens,
    }


class StreamFrames:
    """The frames of one streamed reply, for invoke (Anthropic events in ``chunk`` frames) or
    converse (ConverseStream events). Every payload carries a random ``"p"`` padding."""

    def __init__(
        self,
        invoke: bool,
        model_id: str,
        optimized: bool,
        reply: Reply,
        rng: random.Random,
        request_id: str,
    ):
        self.invoke, self.model_id, self.optimized = invoke, model_id, optimized
        self.reply, self._rng, self._request_id = reply, rng, request_id

    def _pad(self) -> str:
        return _PAD_ALPHABET[: self._rng.randint(1, len(_PAD_ALPHABET))]

    def _frame(self, kind: str, payload: dict[str, Any]) -> tuple[str, bytes]:
        if self.invoke:  # one Anthropic event, base64 in ``bytes``
            raw = base64.b64encode(_json(payload)).decode()
            return payload["type"], event_frame("chunk", {"bytes": raw, "p": self._pad()})
        return kind, event_frame(kind, {**payload, "p": self._pad()})

    def headers(self) -> list[tuple[str, str]]:
        headers = [("content-type", EVENTSTREAM), ("x-amzn-requestid", self._request_id)]
        if self.invoke:
            headers.append(("x-amzn-bedrock-content-type", "application/json"))
            if self.optimized:
                headers.append(("x-amzn-bedrock-performanceconfig-latency", "optimized"))
        return headers

    def opening(self) -> list[tuple[str, bytes]]:
        if not self.invoke:
            return [self._frame("messageStart", {"role": "assistant"})]
        message = {
            "id": "msg_bdrk_" + self._request_id,
            "type": "message",
            "role": "assistant",
            "model": self.model_id,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": self.reply.input_tokens, "output_tokens": 1},
        }
        block = {"type": "text", "text": ""}
        return [
            self._frame("", {"type": "message_start", "message": message}),
            self._frame("", {"type": "content_block_start", "index": 0, "content_block": block}),
        ]

    def delta(self, piece: str) -> bytes:
        if self.invoke:
            delta = {"type": "text_delta", "text": piece}
            _, frame = self._frame("", {"type": "content_block_delta", "index": 0, "delta": delta})
        else:
            payload = {"contentBlockIndex": 0, "delta": {"text": piece}}
            _, frame = self._frame("contentBlockDelta", payload)
        return frame

    def closing(self) -> list[tuple[str, bytes]]:
        """Built when due, so the metrics report the time actually spent."""
        reply = self.reply
        if self.invoke:
            frames = [self._frame("", {"type": "content_block_stop", "index": 0})]
            delta = {"stop_reason": reply.stop_reason, "stop_sequence": None}
            usage = {"output_tokens": reply.output_tokens}
            frames.append(
                self._frame("", {"type": "message_delta", "delta": delta, "usage": usage})
            )
            metrics = {
                "inputTokenCount": reply.input_tokens,
                "outputTokenCount": reply.output_tokens,
                "invocationLatency": reply.elapsed_ms(),
                "firstByteLatency": reply.elapsed_ms(reply.first_content_ns),
            }
            stop = {"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics}
            return [*frames, self._frame("", stop)]
        metadata: dict[str, Any] = {
            "usage": converse_usage(reply),
            "metrics": {"latencyMs": reply.elapsed_ms()},
        }
        if self.optimized:
            metadata["performanceConfig"] = {"latency": "optimized"}
        return [
            self._frame("contentBlockStop", {"contentBlockIndex": 0}),
            self._frame("messageStop", {"stopReason": reply.stop_reason}),
            self._frame("metadata", metadata),
        ]
