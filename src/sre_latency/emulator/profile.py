"""The emulator's latency profile and fault plan: every knob of ``sre-latency emulate``.

Faults are named by the error class a client should see (docs/contract.md#error-classes) or by a more specific name.
Each name maps to one *behaviour*, the thing the emulator actually does on the wire::

    name                     behaviour      what is sent
    auth                     auth           401 authentication error
    permission               permission     403 permission error
    rate_limit               rate_limit     429 with retry-after
    overloaded               overloaded     529 (Anthropic), 503 (OpenAI, Bedrock)
    server                   server         500
    client                   client         400 invalid request
    timeout, stall           stall          headers, then silence for stall_ms before the first token
    connection, cut          cut            the connection closes mid-stream
    stream_error             stream_error   HTTP 200, then an error event mid-stream
    protocol, truncate       truncate       the stream ends cleanly without its terminal event
    malformed                malformed      a malformed SSE line / corrupt frame mid-stream

A fault spec is ``NAME:RATE`` or ``PROTOCOL:NAME:RATE`` (protocol anthropic|openai|bedrock), e.g.
``rate_limit:0.1`` or ``bedrock:rate_limit:0.2``. Each request draws at most one fault.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sre_latency.errors import ConfigError

FAULT_BEHAVIOURS: dict[str, str] = {
    "auth": "auth",
    "permission": "permission",
    "rate_limit": "rate_limit",
    "overloaded": "overloaded",
    "server": "server",
    "client": "client",
    "timeout": "stall",
    "stall": "stall",
    "connection": "cut",
    "cut": "cut",
    "stream_error": "stream_error",
    "protocol": "truncate",
    "truncate": "truncate",
    "malformed": "malformed",
}
PROTOCOLS = ("anthropic", "openai", "bedrock")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class FaultSpec(BaseModel):
    """Inject ``name`` into a fraction ``rate`` of requests (of one protocol, or of all)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    rate: float = Field(ge=0.0, le=1.0)
    protocol: str | None = None

    @field_validator("name")
    @classmethod
    def _known_name(cls, name: str) -> str:
        if name not in FAULT_BEHAVIOURS:
            raise ValueError(f"unknown fault {name!r}; choose from {', '.join(FAULT_BEHAVIOURS)}")
        return name

    @field_validator("protocol")
    @classmethod
    def _known_protocol(cls, protocol: str | None) -> str | None:
        if protocol is not None and protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
        return protocol

    @property
    def behaviour(self) -> str:
        return FAULT_BEHAVIOURS[self.name]

    @classmethod
    def parse(cls, spec: str) -> FaultSpec:
        """Parse ``NAME:RATE`` or ``PROTOCOL:NAME:RATE``; raise ConfigError with one sentence."""
        parts = spec.strip().split(":")
        if len(parts) not in (2, 3):
            raise ConfigError(
                f"bad --fault {spec!r}: expected NAME:RATE or PROTOCOL:NAME:RATE, e.g. rate_limit:0.1."
            )
        protocol = parts[0].strip().lower() if len(parts) == 3 else None
        name, raw_rate = parts[-2].strip().lower(), parts[-1].strip()
        try:
            rate = float(raw_rate)
        except ValueError:
            raise ConfigError(
                f"bad --fault {spec!r}: the rate {raw_rate!r} is not a number between 0 and 1."
            ) from None
        try:
            return cls(name=name, rate=rate, protocol=protocol)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise ConfigError(f"bad --fault {spec!r}: {reason}.") from None


class EmulatorProfile(BaseModel):
    """Timing, faults and identity of one emulator instance. Times in ms, rates in [0, 1].

    Timeline of a streamed request, measured from the moment the request was fully read:
    ``<protocol>_overhead_ms`` → response headers and the opening events → ``ttft_ms`` → first
    content delta → ``itl_ms`` between deltas → terminal events. ``jitter_ms`` adds a seeded
    uniform ±jitter to the TTFT and to each gap (never below zero).
    """

    model_config = ConfigDict(extra="forbid")

    ttft_ms: float = Field(
        200.0, ge=0, le=3_600_000, description="time to first token after the first byte, in ms"
    )
    itl_ms: float = Field(10.0, ge=0, le=600_000, description="gap between output tokens, in ms")
    output_tokens: int = Field(
        64, ge=1, le=1_000_000, description="output tokens per reply, capped by max_tokens"
    )
    thinking_tokens: int = Field(
        32,
        ge=0,
        le=1_000_000,
        description="thinking deltas before the text when a request enables extended thinking",
    )
    jitter_ms: float = Field(
        0.0,
        ge=0,
        le=600_000,
        description="seeded uniform ± jitter on the TTFT and on each gap, in ms",
    )
    seed: int = Field(0, description="seed of the jitter and fault draws")
    anthropic_overhead_ms: float = Field(
        0.0,
        ge=0,
        le=600_000,
        description="extra delay before the first byte on Anthropic routes, in ms",
    )
    openai_overhead_ms: float = Field(
        0.0,
        ge=0,
        le=600_000,
        description="extra delay before the first byte on OpenAI routes, in ms",
    )
    bedrock_overhead_ms: float = Field(
        0.0,
        ge=0,
        le=600_000,
        description="extra delay before the first byte on Bedrock routes, in ms",
    )
    guardrail_overhead_ms: float = Field(
        120.0,
        ge=0,
        le=600_000,
        description="extra Bedrock delay when a guardrail is applied, in ms",
    )
    bedrock_optimized_overhead_ms: float | None = Field(
        None,
        ge=0,
        le=600_000,
        description="Bedrock overhead of latency-optimized requests, in ms (default: half of the Bedrock overhead)",
    )
    aws_access_key_id: str = Field(
        "AKIAEMULATOREXAMPLE00", description="access key id Bedrock SigV4 signatures must use"
    )
    # Secrets are never flags (a process's arguments are visible to every user of the machine):
    # ``sre-latency emulate`` reads them from SRE_LATENCY_EMULATOR_AWS_SECRET_ACCESS_KEY and
    # SRE_LATENCY_EMULATOR_AWS_BEARER_TOKEN.
    aws_secret_access_key: str = Field("emulator/secret/access/key/EXAMPLEKEY00", exclude=True)
    aws_bearer_token: str | None = Field(None, exclude=True)  # None: the documented test default
    faults: list[FaultSpec] = Field(
        default_factory=list, description="faults to inject, as [PROTOCOL:]NAME:RATE"
    )
    stall_ms: float = Field(
        30_000.0,
        ge=0,
        le=3_600_000,
        description="how long the timeout (stall) fault waits before the first token, in ms",
    )
    retry_after_s: int = Field(
        1, ge=0, le=86_400, description="retry-after seconds sent with an injected 429"
    )
    capacity: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="concurrent generations the emulator serves; more requests queue and "
        "their TTFT grows by the wait (default: no limit)",
    )
    queue_limit: int | None = Field(
        None,
        ge=0,
        le=1_000_000,
        description="requests that may wait for one of the capacity slots; one more is "
        "answered 529 overloaded (503 on OpenAI and Bedrock routes) (default: no limit)",
    )
    rate_limit: float | None = Field(
        None,
        gt=0,
        le=1_000_000,
        description="requests per second admitted (a token bucket); beyond it, 429 with "
        "retry-after (default: no limit)",
    )
    rate_limit_burst: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="requests the rate-limit bucket holds, admitted back to back (default: "
        "one second's worth, at least 1)",
    )
    host: str = Field("127.0.0.1", description="127.0.0.1, localhost or ::1")
    port: int = Field(0, ge=0, le=65_535, description="port; 0 picks a free one")
    script: Path | None = Field(
        None,
        description="play a scripted conversation (tool calls, then text) instead of synthetic text",
    )
    max_records: int = Field(
        100_000, ge=1, le=10_000_000, description="requests kept in the records log"
    )
    # What servers and proxies we did not write do on the wire (docs/emulator.md#wire-behaviours).
    reasoning_tokens: int = Field(
        0,
        ge=0,
        le=1_000_000,
        description="reasoning deltas streamed before the answer, paced like tokens, whether or "
        "not the request asks (OpenAI delta.reasoning_content, Anthropic thinking_delta)",
    )
    split_first_event_ms: float = Field(
        0.0,
        ge=0,
        le=600_000,
        description="send the first content event in two writes this many ms apart, its first "
        "half on time (0: one write)",
    )
    buffered_writes: int = Field(
        0,
        ge=0,
        le=2,
        description="deliver each stream in 1 write at its end, or 2 (up to the first content "
        "delta, then the rest at the end), as a buffering proxy does (0: stream every event)",
    )
    root_response: Literal["404", "404-close", "stall"] = Field(
        "404",
        description="what GET / gets: 404 (the connection stays open), 404-close (404, then "
        "the connection closes) or stall (never answered)",
    )
    unresponsive: bool = Field(
        False,
        description="accept connections and read requests but never answer any (a stalled "
        "upstream)",
    )

    @field_validator("host")
    @classmethod
    def _local_only(cls, host: str) -> str:
        if host not in LOCAL_HOSTS:
            raise ValueError(f"the emulator only listens on {', '.join(LOCAL_HOSTS)}, not {host!r}")
        return host

    @model_validator(mode="after")
    def _rates_fit(self) -> EmulatorProfile:
        for protocol in PROTOCOLS:
            total = sum(f.rate for f in self.faults if f.protocol in (None, protocol))
            if total > 1.0 + 1e-9:
                raise ValueError(
                    f"fault rates for {protocol} add up to {total:g}, more than 1 "
                    "(each request draws at most one fault)"
                )
        return self

    def overhead_ms(self, protocol: str) -> float:
        return float(getattr(self, f"{protocol}_overhead_ms", 0.0))

    @classmethod
    def build(cls, **values: Any) -> EmulatorProfile:
        """Validate knobs from the CLI or the API; raise ConfigError with one sentence."""
        faults = values.get("faults") or []
        values["faults"] = [FaultSpec.parse(f) if isinstance(f, str) else f for f in faults]
        try:
            return cls(**values)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            reason = error["msg"].removeprefix("Value error, ")
            flag = f"--{where.replace('_', '-')}: " if where else ""
            raise ConfigError(f"bad emulator setting {flag}{reason}.") from None
