"""The conditions a run was measured under, printed with every table and report.

A figure means little without them: 300 ms TTFT on the emulator is not 300 ms on the API, and a
run at concurrency 32 with 8,000-token prompts is not comparable with one at concurrency 1 with
65-token prompts. ``Conditions`` gathers what a reader needs to judge a figure (emulated or real,
concurrency, prompt size and its input tokens, max_tokens, warm or cold connections, the HTTP
stack, endpoint hosts, region) from a run's config; ``line`` says them in one line, and
``differences`` names what differs between two runs before ``compare`` calls anything a change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from sre_latency.core.contract import Environment, RunConfig

_AWS_REGION_RE = re.compile(r"\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com")
EMULATED_MARK = "EMULATED"


def endpoint_host(url: str) -> str:
    """The host (and port) of an endpoint URL, or the text itself when it is not a URL."""
    netloc = urlsplit(url).netloc.rpartition("@")[2]
    return netloc or url or "default endpoint"


def _hostname(url: str) -> str:
    return urlsplit(url).hostname or url


class Conditions(BaseModel):
    """What a run's figures were measured under."""

    emulated: bool = Field(description="measured against the built-in emulator, not a real API")
    concurrency: int
    prompt_size: str
    input_tokens: int | None = Field(
        None, description="median input tokens per request, as the API counted them"
    )
    max_tokens: int
    cold: bool = Field(description="a fresh connection per request (DNS, TCP and TLS each time)")
    transport: str | None = Field(None, description="the HTTP stack every provider used")
    endpoints: list[str] = Field(default_factory=list, description="endpoint hosts, in order")
    region: str | None = Field(None, description="the client's AWS region, or Bedrock's")

    def line(self) -> str:
        """``EMULATED · concurrency 1 · prompt small (61 input tokens) · max_tokens 64 · …``."""
        tokens = f" ({self.input_tokens:,} input tokens)" if self.input_tokens is not None else ""
        parts = [
            EMULATED_MARK if self.emulated else "real API",
            f"concurrency {self.concurrency}",
            f"prompt {self.prompt_size}{tokens}",
            f"max_tokens {self.max_tokens:,}",
            "cold connections" if self.cold else "warm connections",
        ]
        if self.transport:
            parts.append(f"stack {self.transport}")
        if self.endpoints:
            parts.append("endpoint " + ", ".join(self.endpoints))
        parts.append(f"region {self.region}" if self.region else "region not recorded")
        return " · ".join(parts)

    def differences(self, other: Conditions) -> list[str]:
        """What differs from ``other`` that changes latency (``"max_tokens 64 vs 1,024"``)."""

        def mode(c: Conditions) -> str:
            return "emulated" if c.emulated else "real API"

        checks = [
            ("measured", mode(self), mode(other)),
            ("concurrency", self.concurrency, other.concurrency),
            ("prompt size", self.prompt_size, other.prompt_size),
            ("max_tokens", self.max_tokens, other.max_tokens),
            ("connections", "cold" if self.cold else "warm", "cold" if other.cold else "warm"),
        ]
        return [f"{name} {a} vs {b}" for name, a, b in checks if a != b]


def run_region(environment: Environment, endpoints: Iterable[str]) -> str | None:
    """The client's region when recorded, else the region of an AWS endpoint."""
    if environment.client_region:
        return environment.client_region
    for url in endpoints:
        m = _AWS_REGION_RE.search(urlsplit(url).netloc)
        if m:
            return m.group(1)
    return None


def conditions_of(
    config: RunConfig,
    environment: Environment,
    endpoints: Mapping[str, str],
    input_tokens: int | None = None,
) -> Conditions:
    """The conditions of a run from its config, environment and target endpoints (label → URL)."""
    hosts = list(dict.fromkeys(endpoint_host(u) for u in endpoints.values()))
    return Conditions(
        emulated=bool(config.emulate),
        concurrency=config.concurrency,
        prompt_size=config.prompt_size,
        input_tokens=input_tokens,
        max_tokens=config.max_tokens,
        cold=config.cold,
        transport=getattr(config, "transport", None),
        endpoints=hosts,
        region=run_region(environment, endpoints.values()),
    )


def same_endpoint(a: str, b: str) -> bool:
    """Two endpoints reach the same service: same host name (the emulator's port is random)."""
    return _hostname(a) == _hostname(b)
