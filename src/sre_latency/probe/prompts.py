"""Deterministic prompts for ``--prompt-size small|medium|large``.

Every provider receives the same prompt text, byte for byte, so that a comparison measures the
provider and not the prompt. The text is generated from a fixed seed phrase (no randomness, no
files), and asks for a long answer so that ``--max-tokens`` decides the output length.
"""

from __future__ import annotations

from dataclasses import dataclass

from sre_latency.errors import ConfigError

PROMPT_SIZES = ("small", "medium", "large")

# Approximate input size in tokens (~4 characters per token of English text).
_TARGET_CHARS = {"small": 0, "medium": 4_000, "large": 32_000}

_INSTRUCTION = (
    "Write a detailed, plain-prose explanation of how a site reliability engineer should "
    "measure the latency of a streaming HTTP API: time to first byte, time to first token, "
    "inter-token gaps and total time. Keep writing until you are stopped."
)
_CONTEXT_PARAGRAPH = (
    "Context note {i}: a latency measurement is only as good as its clock and its method. "
    "Timestamps come from one monotonic clock, taken when the bytes arrive and before any "
    "parsing work; connections are reused unless cold starts are measured on purpose; "
    "providers are interleaved in a fresh random order each round; retries are off; every "
    "percentile carries the number of samples behind it.\n"
)


@dataclass(frozen=True)
class Prompt:
    """One user turn. ``system`` is None: no provider-specific system prompt is sent."""

    size: str
    user: str
    system: str | None = None


def make_prompt(size: str = "small") -> Prompt:
    """The prompt for ``size``; the same call always returns the same bytes."""
    if size not in _TARGET_CHARS:
        raise ConfigError(f"--prompt-size must be one of {', '.join(PROMPT_SIZES)}, not {size!r}.")
    target = _TARGET_CHARS[size]
    parts: list[str] = []
    length, i = 0, 1
    while length < target:
        para = _CONTEXT_PARAGRAPH.format(i=i)
        parts.append(para)
        length += len(para)
        i += 1
    return Prompt(size=size, user="".join(parts) + _INSTRUCTION)
