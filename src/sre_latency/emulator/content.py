"""What the emulated model says, and how request tokens are counted (deterministic, no I/O)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from typing import Any

_TEXT = (
    "Latency is the time a user waits. Measure it where the bytes arrive, keep every sample, "
    "compare providers in interleaved rounds, and report percentiles with their sample count. "
    "A fast first token hides a slow stream; a steady stream hides a slow start. "
)
WORD_PIECES: tuple[str, ...] = tuple(re.findall(r"\s*\S+", _TEXT))


def synthetic_pieces(n: int) -> list[str]:
    """``n`` text pieces, one per output token (a word with its leading space), deterministic."""
    return [WORD_PIECES[i % len(WORD_PIECES)] for i in range(n)]


def split_text(text: str) -> list[str]:
    """Split scripted text into word-ish pieces that concatenate back to ``text`` exactly."""
    pieces = re.findall(r"\s*\S+", text)
    tail = text[len("".join(pieces)) :]
    if tail:
        pieces.append(tail)
    return pieces


def estimate_input_tokens(*parts: Any) -> int:
    """A deterministic input-token estimate: characters of every string in the request / 4."""
    chars = 0
    stack = list(parts)
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            chars += len(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return max(1, (chars + 3) // 4)


MIN_CACHEABLE_TOKENS = 1024


def cache_segments(body: dict[str, Any]) -> list[Any]:
    """The request in prompt-cache order: tools, then system, then message content blocks."""
    segments: list[Any] = list(body.get("tools") or [])
    system = body.get("system")
    segments.extend(system if isinstance(system, list) else [system] if system else [])
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else message
        segments.extend(content if isinstance(content, list) else [content])
    return segments


def json_bytes(value: Any) -> bytes:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate a client sent ("\ud800"), echoed back
        return json.dumps(value, separators=(",", ":")).encode()


class PromptCache:
    """Emulated prompt caching: the prefix up to the last block marked ``cache_control``.

    On first sight the prefix is written (``cache_creation_input_tokens``), afterwards it is read
    (``cache_read_input_tokens``), when it is at least 1024 tokens; ``input_tokens`` is the rest.
    Tokens are estimated as characters / 4. The most recent 10,000 prefixes are remembered.
    """

    def __init__(self, max_entries: int = 10_000):
        self._entries: OrderedDict[bytes, None] = OrderedDict()
        self._max_entries = max_entries

    def usage(self, body: dict[str, Any]) -> dict[str, int]:
        total = estimate_input_tokens(body.get("system"), body.get("messages"), body.get("tools"))
        usage = {
            "input_tokens": total,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        segments = cache_segments(body)
        marked = [
            i
            for i, seg in enumerate(segments)
            if isinstance(seg, dict) and seg.get("cache_control")
        ]
        if not marked:
            return usage
        prefix = segments[: marked[-1] + 1]
        prefix_tokens = min(total, estimate_input_tokens(prefix))
        if prefix_tokens < MIN_CACHEABLE_TOKENS:
            return usage
        encoded = json.dumps([body.get("model"), prefix], sort_keys=True, default=str)
        key = hashlib.sha256(encoded.encode()).digest()
        if key in self._entries:
            self._entries.move_to_end(key)
            usage["cache_read_input_tokens"] = prefix_tokens
        else:
            self._entries[key] = None
            if len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
            usage["cache_creation_input_tokens"] = prefix_tokens
        usage["input_tokens"] = max(1, total - prefix_tokens)
        return usage
