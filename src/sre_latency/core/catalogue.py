"""Model names users can type: a short name maps to the Anthropic id and the Bedrock id.

Bedrock Claude models are called through inference profiles whose id carries a geography prefix
(``us.``, ``eu.``, ``apac.``, ``global.``, …); ``--bedrock-geo`` picks it. A full id (an Anthropic
``claude-…`` id, a Bedrock ``anthropic.claude-…`` id with or without its geography, or an ARN)
passes through unchanged. Anything else is a typo until proven otherwise: ``check_model_name``
refuses it with the closest short name ("did you mean haiku-4.5?"); ``--model-id`` sends a
gateway's own id as typed.
"""

from __future__ import annotations

import difflib
import re
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
    "opus-4.7": ModelIds("claude-opus-4-7", "anthropic.claude-opus-4-7"),
    "opus-4.8": ModelIds("claude-opus-4-8", "anthropic.claude-opus-4-8"),
    "sonnet-5": ModelIds("claude-sonnet-5", "anthropic.claude-sonnet-5"),
}
DEFAULT_MODEL = "haiku-4.5"


_FULL_ID_RE = re.compile(
    r"^(claude-[a-z0-9][a-z0-9.\-]*|((us|eu|apac|global|jp|au|us-gov)\.)?anthropic\.claude-\S+"
    r"|arn:aws[a-z-]*:bedrock:\S+)$"
)


def suggestion(name: str) -> str | None:
    """The short name ``name`` was most likely meant to be: the closest of its family (the
    newest on a tie), else the closest of all."""
    key = name.strip().lower()
    family = [n for n in MODELS if n.split("-")[0] == key.split("-")[0]]
    if family and key == family[0].split("-")[0]:  # "opus": the newest opus
        return family[-1]
    for pool, floor in ((family, 0.5), (list(MODELS), 0.7)):
        scored = [(difflib.SequenceMatcher(None, key, n).ratio(), i, n) for i, n in enumerate(pool)]
        scored = [x for x in scored if x[0] >= floor]
        if scored:
            return max(scored)[2]
    return None


def check_model_name(name: str) -> None:
    """Refuse a ``--model`` that is neither a short name nor a full id, with a hint."""
    key = name.strip().lower()
    if not key:
        raise ConfigError("--model names no model; give a short name such as haiku-4.5.")
    if _lookup(key) is not None or _FULL_ID_RE.match(key):
        return
    hint = suggestion(key)
    guess = f" Did you mean {hint}?" if hint else ""
    raise ConfigError(
        f"unknown model {name!r}.{guess} Known short names: {', '.join(MODELS)}; a full id "
        "(claude-…, anthropic.claude-…, an ARN) works too, and --model-id sends any other id "
        "as typed."
    )


def _lookup(name: str) -> ModelIds | None:
    """A short name, or a known Anthropic id, or a known Bedrock id (with or without geo)."""
    key = name.strip().lower()
    if key in MODELS:
        return MODELS[key]
    for geo_prefix in _GEO_PREFIXES:
        if key.startswith(geo_prefix):
            key = key[len(geo_prefix) :]
            break
    for ids in MODELS.values():
        if key in (ids.anthropic, ids.bedrock):
            return ids
    return None


def resolve_model(name: str, provider: str, geo: str = "us") -> str:
    """The id to send to ``provider`` for ``name``.

    A short name maps through the table. A known full id of the *other* provider maps too
    (``claude-haiku-4-5-20251001`` → ``us.anthropic.claude-haiku-4-5-20251001-v1:0`` on Bedrock),
    so ``--model`` with one id measures the same model on both. Anything else passes through
    unchanged on Bedrock, as does any Bedrock id typed in full (with or without a geography
    prefix: a bare foundation-model id asks for on-demand invocation) or an ARN.
    """
    if geo not in BEDROCK_GEOS:
        raise ConfigError(f"--bedrock-geo must be one of {', '.join(BEDROCK_GEOS)}, not {geo!r}.")
    if provider == "bedrock" and (
        is_inference_profile(name) or name.startswith(("arn:", "anthropic."))
    ):
        return name
    ids = _lookup(name)
    if ids is None:
        return name
    if provider == "bedrock":
        return f"{geo}.{ids.bedrock}"
    return ids.anthropic


def is_inference_profile(model_id: str) -> bool:
    return model_id.startswith(_GEO_PREFIXES)
