"""Model names users can type: a short name maps to the Anthropic id and the Bedrock id.

Bedrock Claude models are called through inference profiles whose id carries a geography prefix
(``us.``, ``eu.``, ``apac.``, ``global.``, …); ``--bedrock-geo`` picks it. A full id (anything not
in the table) passes through unchanged.
"""

from __future__ import annotations

from typing import NamedTuple

from sre_latency.errors import ConfigError

BEDROCK_GEOS = ("us", "eu", "apac", "global", "jp", "au", "us-gov")
_GEO_PREFIXES = tuple(f"{g}." for g in BEDROCK_GEOS)


class ModelIds(NamedTuple):
    anthropic: str
    bedrock: str  # without the geography prefix


MODELS: dict[str, ModelIds] = {
    "haiku-3.5": ModelIds("claude-3-5-haiku-20241022", "anthropic.claude-3-5-haiku-20241022-v1:0"),
    "sonnet-3.7": ModelIds(
        "claude-3-7-sonnet-20250219", "anthropic.claude-3-7-sonnet-20250219-v1:0"
    ),
    "sonnet-4": ModelIds("claude-sonnet-4-20250514", "anthropic.claude-sonnet-4-20250514-v1:0"),
    "opus-4": ModelIds("claude-opus-4-20250514", "anthropic.claude-opus-4-20250514-v1:0"),
    "opus-4.1": ModelIds("claude-opus-4-1-20250805", "anthropic.claude-opus-4-1-20250805-v1:0"),
    "sonnet-4.5": ModelIds(
        "claude-sonnet-4-5-20250929", "anthropic.claude-sonnet-4-5-20250929-v1:0"
    ),
    "haiku-4.5": ModelIds("claude-haiku-4-5-20251001", "anthropic.claude-haiku-4-5-20251001-v1:0"),
    "opus-4.5": ModelIds("claude-opus-4-5-20251101", "anthropic.claude-opus-4-5-20251101-v1:0"),
    "opus-4.6": ModelIds("claude-opus-4-6", "anthropic.claude-opus-4-6-v1"),
    "sonnet-4.6": ModelIds("claude-sonnet-4-6", "anthropic.claude-sonnet-4-6"),
}
DEFAULT_MODEL = "haiku-4.5"


def resolve_model(name: str, provider: str, geo: str = "us") -> str:
    """The id to send to ``provider`` for a short name, or ``name`` itself when it is a full id."""
    if geo not in BEDROCK_GEOS:
        raise ConfigError(f"--bedrock-geo must be one of {', '.join(BEDROCK_GEOS)}, not {geo!r}.")
    ids = MODELS.get(name.strip().lower())
    if ids is None:
        return name
    if provider == "bedrock":
        return f"{geo}.{ids.bedrock}"
    return ids.anthropic


def is_inference_profile(model_id: str) -> bool:
    return model_id.startswith(_GEO_PREFIXES)
