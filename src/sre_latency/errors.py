"""The exceptions sre-latency raises, and the closed set of per-request error classes.

Exception tree (every message is one sentence a user can act on, never a key or signature)::

    LatencyError                 base class; str(exc) is the user-facing sentence
    ├── ConfigError              bad usage, bad flag value, bad input file: CLI exit 2, MCP ToolError
    │   └── CredentialsError     a provider's credentials are missing: name the variable, suggest --emulate
    └── StoreError               a run file is missing, malformed or foreign: name the file and the problem

A failed *request* is not an exception the caller sees: the probe engine records it on the sample
as ``SampleError(class_=..., status=..., message=...)`` with one of ``ERROR_CLASSES`` (docs/contract.md#error-classes),
and the run goes on.
"""

from __future__ import annotations

from typing import Literal, get_args

ErrorClass = Literal[
    "auth",  # 401/403, bad or missing credentials
    "rate_limit",  # 429, Throttling
    "overloaded",  # 529, ServiceUnavailable
    "server",  # 5xx, internalServer, modelStreamError
    "client",  # other 4xx, validation
    "timeout",  # connect / first-token / total deadline
    "connection",  # refused, reset, DNS, TLS
    "protocol",  # malformed SSE or event-stream frame, CRC mismatch, stream ended early
    "stream_error",  # an error event inside a 200 stream
]
ERROR_CLASSES: tuple[str, ...] = get_args(ErrorClass)


class LatencyError(Exception):
    """Base for every error sre-latency raises on purpose; the message is for the user."""


class ConfigError(LatencyError):
    """Bad usage or input. The CLI exits 2; the MCP server raises ToolError with the message."""


class CredentialsError(ConfigError):
    """A provider's credentials are missing. Name the variable and suggest ``--emulate``."""


class StoreError(LatencyError):
    """A run file is missing, malformed or not an sre-latency run. Name the file and the problem."""


def clip_names(message: str, limit: int = 160) -> str:
    """``message`` with every overlong word (a 5,000-character file name a user or a model
    passed) cut to its head and tail, so the sentence stays one readable line."""
    words = str(message).split(" ")
    head, tail = limit * 2 // 3, limit // 3
    return " ".join(w if len(w) <= limit else f"{w[:head]}…{w[-tail:]}" for w in words)


def file_error(exc: OSError) -> ConfigError:
    """An OSError on a path the user gave (a name too long for the OS, a loop, no access) as
    one sentence: the faces turn any OSError that escapes a tool into this, never a traceback."""
    name = " ".join(str(exc.filename or "").split())
    shown = name if len(name) <= 120 else name[:119] + "…"
    why = exc.strerror or type(exc).__name__
    return ConfigError(f"{why}: {shown}." if shown else f"{why}.")


def classify_http_status(status: int) -> ErrorClass:
    """Map an HTTP status to an error class (docs/contract.md#error-classes); body-level detail may refine it."""
    if status in (401, 403):
        return "auth"
    if status == 429:
        return "rate_limit"
    if status in (503, 529):
        return "overloaded"
    if status == 408:
        return "timeout"
    if status >= 500:
        return "server"
    return "client"
