"""``--emulate`` for the measuring tools: the emulator's knobs as options, and starting it.

The emulator's settings are declared once, in ``emulator.profile.EmulatorProfile``; the
``emulator_*`` options of ``benchmark``, ``latency_check`` and ``latency_budget`` are generated
from a subset of its fields (same description and bounds), so a knob never drifts between the
emulator, the CLI flags and the MCP parameters.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import Field, create_model

from sre_latency.emulator.profile import EmulatorProfile
from sre_latency.errors import ConfigError
from sre_latency.tools.options import Face, Options

# The quick profile ``--emulate`` serves, so a first ``benchmark --emulate -n 20`` takes
# seconds, not a minute; the ``emulator_*`` options override it.
EMULATE_PROFILE: dict[str, Any] = {"ttft_ms": 100.0, "itl_ms": 4.0, "output_tokens": 64}
KNOBS = ("ttft_ms", "itl_ms", "output_tokens", "jitter_ms", "stall_ms", "anthropic_overhead_ms",
         "openai_overhead_ms", "bedrock_overhead_ms", "seed", "capacity", "queue_limit",
         "rate_limit", "rate_limit_burst", "reasoning_tokens", "split_first_event_ms",
         "buffered_writes")  # fmt: skip
AGENT_LIMITS = {"ttft_ms": 600_000, "itl_ms": 600_000, "stall_ms": 600_000, "jitter_ms": 600_000,
                "bedrock_overhead_ms": 600_000, "anthropic_overhead_ms": 600_000,
                "openai_overhead_ms": 600_000, "output_tokens": 100_000,
                "reasoning_tokens": 100_000, "split_first_event_ms": 600_000}  # fmt: skip


def _knob(name: str) -> tuple[Any, Any]:
    info = EmulatorProfile.model_fields[name]
    default = EMULATE_PROFILE.get(name, info.default)
    bounds = {k: getattr(m, k) for m in info.metadata for k in ("ge", "gt", "le") if hasattr(m, k)}
    description = f"with emulate: {info.description}"
    if default is not None:
        description += f" (default {default:g})"
    face = Face(agent_le=AGENT_LIMITS.get(name))
    return Annotated[info.annotation | None, face], Field(None, description=description, **bounds)


EmulatorOptions: type[Options] = create_model(  # type: ignore[call-overload]
    "EmulatorOptions",
    __base__=Options,
    __doc__="The emulator knobs of a measuring tool (used only with ``emulate``).",
    **{f"emulator_{name}": _knob(name) for name in KNOBS},
    emulator_fault=(
        Annotated[
            list[str], Face(repeat=True, metavar="[PROTOCOL:]NAME:RATE", agent_max_length=20)
        ],
        Field(
            default_factory=list,
            description="with emulate: a fault to inject as NAME:RATE, e.g. rate_limit:0.1 or "
            "bedrock:stream_error:0.05 (names: auth, permission, rate_limit, overloaded, server, "
            "client, timeout, connection, stream_error, protocol, malformed)",
        ),
    ),
)


def emulator_overrides(opts: Any) -> dict[str, Any]:
    """The EmulatorProfile values the options set; ConfigError when set without ``emulate``."""
    values = {n: v for n in KNOBS if (v := getattr(opts, f"emulator_{n}", None)) is not None}
    faults = list(getattr(opts, "emulator_fault", None) or [])
    if faults:
        values["faults"] = faults
    if values and not getattr(opts, "emulate", False):
        raise ConfigError("the --emulator-* options only apply with --emulate.")
    return values


def start_emulator(overrides: dict[str, Any]):
    """The in-process emulator for ``--emulate``, on a free 127.0.0.1 port."""
    from sre_latency.emulator import run_emulator_in_thread

    profile = EmulatorProfile.build(**{**EMULATE_PROFILE, "port": 0, **overrides})
    return run_emulator_in_thread(profile)


def secrets_from_environment() -> dict[str, str]:
    """The emulator's own AWS secret and Bedrock API key, when set in its environment."""
    found = {}
    for env, name in (("SRE_LATENCY_EMULATOR_AWS_SECRET_ACCESS_KEY", "aws_secret_access_key"),
                      ("SRE_LATENCY_EMULATOR_AWS_BEARER_TOKEN", "aws_bearer_token")):  # fmt: skip
        if os.environ.get(env):
            found[name] = os.environ[env]
    return found
