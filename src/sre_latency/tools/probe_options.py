"""The options every measuring tool shares: model, prompt, deadlines, HTTP stack, Bedrock."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from sre_latency.core.catalogue import BEDROCK_GEOS
from sre_latency.errors import ConfigError
from sre_latency.store import RunStore
from sre_latency.store.resolve import new_output
from sre_latency.tools.emulation import EmulatorOptions
from sre_latency.tools.options import Face, split_list
from sre_latency.tools.store_option import StoreOptions

PromptSize = Literal["small", "medium", "large"]


class ProbeOptions(StoreOptions, EmulatorOptions):
    """What and how to measure; shared by benchmark, latency_check and latency_budget."""

    model: Annotated[list[str], Face(metavar="NAMES")] = Field(
        default_factory=list,
        description="model short names (haiku-4.5, sonnet-4.5, opus-4.6 …) or full ids, "
        "comma-separated; several make one target per provider × model; a name that is "
        "neither is refused with the closest short name (default haiku-4.5)",
    )
    model_id: Annotated[list[str], Face(metavar="IDS")] = Field(
        default_factory=list,
        description="model ids sent as typed to every provider, not checked against the known "
        "names (a gateway's own ids), comma-separated; with model, both are measured "
        "(default: none)",
    )
    max_tokens: Annotated[int, Face(agent_le=8192)] = Field(
        64, ge=1, le=200_000, description="output token cap per request"
    )
    prompt_size: PromptSize = Field(
        "small",
        description="prompt sent, the same bytes to every provider: small (about 65 input "
        "tokens), medium (about 1,000) or large (about 8,000)",
    )
    timeout_s: Annotated[float, Face(agent_le=600)] = Field(
        60.0, gt=0, le=3600, description="total deadline per request, in seconds"
    )
    first_token_timeout_s: Annotated[float | None, Face(agent_le=600)] = Field(
        None, gt=0, le=3600,
        description="deadline for the first token, in seconds (default: timeout_s)",
    )  # fmt: skip
    connect_timeout_s: Annotated[float, Face(agent_le=120)] = Field(
        10.0, gt=0, le=600, description="connect deadline, in seconds"
    )
    transport: Literal["auto", "aiohttp", "httpx2"] = Field(
        "auto",
        description="HTTP stack for every provider: auto = aiohttp, or httpx2 when each "
        "request opens its own connection and for both phases of latency_budget (it times DNS, "
        "TCP and TLS apart)",
    )
    emulate: bool = Field(
        False,
        description="measure the built-in emulator (started on a free 127.0.0.1 port, dummy "
        "keys) instead of the real APIs: no credentials, no cost",
    )
    bedrock_api: Literal["invoke", "converse"] = Field(
        "invoke",
        description="Bedrock streaming API: invoke-with-response-stream or converse-stream",
    )
    bedrock_geo: str = Field(
        "us", description=f"Bedrock inference-profile geography ({', '.join(BEDROCK_GEOS)})"
    )

    @field_validator("model", "model_id", mode="before")
    @classmethod
    def _names(cls, value: object) -> list[str]:
        return split_list(value, "model")  # type: ignore[arg-type]

    @field_validator("bedrock_geo")
    @classmethod
    def _geo(cls, value: str) -> str:
        if value not in BEDROCK_GEOS:
            raise ValueError(f"must be one of {', '.join(BEDROCK_GEOS)}, not {value!r}")
        return value


def run_output(store: RunStore, output: str | None, *, confined: bool) -> Path | None:
    """Where a measured run is saved: the store's choice (None), a path the CLI user named, or,
    for an MCP call (``confined``), a new bare file name under the store's runs folder."""
    if output is None:
        return None
    if output.endswith(".jsonl"):
        raise ConfigError("--output must name the run file (.json); its journal goes beside it.")
    if getattr(store, "scheme", "file") != "file":
        return output  # type: ignore[return-value]  # the store maps a name to its own object
    if confined:
        return new_output(store.runs_dir, store.home, output, ".json")  # type: ignore[attr-defined]
    return Path(output).expanduser()
