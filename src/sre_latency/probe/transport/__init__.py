"""The one HTTP stack every provider of a run is measured through (see ``base.Transport``).

Two implementations behind one interface: ``aiohttp_stack`` (the warm-run hot path) and
``httpx_stack`` (cold runs: DNS, TCP and TLS reported apart). ``make_transport`` imports only
the one a run uses.
"""

from __future__ import annotations

import importlib

from sre_latency.probe.transport.base import (
    DeadlineExceeded,
    Exchange,
    Transport,
    origin_of,
    read_limited,
)

__all__ = [
    "TRANSPORTS",
    "TRANSPORT_CHOICES",
    "DeadlineExceeded",
    "Exchange",
    "Transport",
    "choose_transport",
    "make_transport",
    "origin_of",
    "read_limited",
]

TRANSPORTS: dict[str, str] = {
    "httpx2": "sre_latency.probe.transport.httpx_stack:HttpxTransport",
    "aiohttp": "sre_latency.probe.transport.aiohttp_stack:AiohttpTransport",
}
TRANSPORT_CHOICES = ("auto", *TRANSPORTS)


def choose_transport(name: str, cold: bool) -> str:
    """``auto``: aiohttp for warm runs (its C parser keeps up with hundreds of streams; see
    docs/benchmark.md for the figures), httpx2 for ``--cold`` runs (it reports DNS, TCP and TLS
    apart). latency-budget asks for httpx2 in both its phases, so they share one stack."""
    if name == "auto":
        return "httpx2" if cold else "aiohttp"
    if name not in TRANSPORTS:
        from sre_latency.errors import ConfigError

        raise ConfigError(
            f"--transport must be one of {', '.join(TRANSPORT_CHOICES)}, not {name!r}."
        )
    return name


def make_transport(name: str, *, cold: bool, connect_timeout_s: float) -> Transport:
    module_name, _, cls_name = TRANSPORTS[choose_transport(name, cold)].partition(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    return cls(cold=cold, connect_timeout_s=connect_timeout_s)
