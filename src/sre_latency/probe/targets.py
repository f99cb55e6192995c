"""From ``--providers`` and ``--model`` to the list of targets one run measures.

Each provider × model pair is one target, labelled by the provider when one model is measured
and ``provider/model`` when several are (the model as the user typed it). Bedrock variants
(``--bedrock-guardrail``, ``--bedrock-latency optimized``) add targets beside plain Bedrock —
``bedrock+guardrail``, ``bedrock+optimized`` — so one run answers "what does it cost?" with a
paired comparison. Endpoints come from the ecosystem's variables (``ANTHROPIC_BASE_URL``,
``OPENAI_BASE_URL``, ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``/``AWS_REGION``); with ``--emulate``
every target points at the in-process emulator with its dummy credentials.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sre_latency.core.catalogue import DEFAULT_MODEL, check_model_name, resolve_model
from sre_latency.errors import ConfigError
from sre_latency.probe.providers import PROVIDERS
from sre_latency.probe.providers.anthropic import DEFAULT_BASE_URL as ANTHROPIC_DEFAULT_URL
from sre_latency.probe.providers.base import Target
from sre_latency.probe.providers.openai import DEFAULT_BASE_URL as OPENAI_DEFAULT_URL

BEDROCK_ENDPOINT_ENV = "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"
EMULATOR_API_KEY = "sk-emulator-not-a-real-key"
EMULATOR_REGION = "us-east-1"


@dataclass(frozen=True)
class BedrockVariants:
    """Bedrock options that add a variant target next to plain ``bedrock``."""

    guardrail: str | None = None  # "ID:VERSION" → target "bedrock+guardrail"
    latency: str | None = None  # "optimized" → target "bedrock+optimized"

    def expand(self) -> list[tuple[str, dict[str, str]]]:
        """(label suffix, options) for plain Bedrock and each requested variant."""
        out: list[tuple[str, dict[str, str]]] = [("", {})]
        if self.guardrail:
            out.append(("+guardrail", {"guardrail": self.guardrail}))
        if self.latency and self.latency != "standard":
            if self.latency != "optimized":
                raise ConfigError(
                    f"--bedrock-latency must be optimized or standard, not {self.latency!r}."
                )
            out.append(("+optimized", {"latency": "optimized"}))
        return out


PROVIDER_ALIASES = {"direct": ["anthropic"], "all": list(PROVIDERS), "both": list(PROVIDERS)}


def parse_providers(names: Sequence[str], default: Sequence[str]) -> list[str]:
    """Provider names as typed (``direct`` means anthropic, ``all``/``both`` every provider: the
    original plugin's names); none given means ``default``."""
    out: list[str] = []
    for name in names or default:
        key = name.strip().lower()
        for p in PROVIDER_ALIASES.get(key, [key]):
            if p not in PROVIDERS:
                raise ConfigError(
                    f"unknown provider {name!r}; choose from {', '.join(PROVIDERS)} (or all)."
                )
            if p not in out:
                out.append(p)
    return out


def base_url(provider: str, env: Mapping[str, str]) -> str:
    """The endpoint a provider is reached at; "" lets the Bedrock adapter resolve its region."""
    if provider == "anthropic":
        return (env.get("ANTHROPIC_BASE_URL") or ANTHROPIC_DEFAULT_URL).rstrip("/")
    if provider == "openai":
        return (env.get("OPENAI_BASE_URL") or OPENAI_DEFAULT_URL).rstrip("/")
    url = env.get(BEDROCK_ENDPOINT_ENV) or env.get("AWS_ENDPOINT_URL")
    if url:
        return url.rstrip("/")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    return f"https://bedrock-runtime.{region}.amazonaws.com" if region else ""


def build_targets(
    providers: Sequence[str],
    models: Sequence[str],
    env: Mapping[str, str],
    *,
    geo: str = "us",
    bedrock: BedrockVariants | None = None,
    raw_ids: Sequence[str] = (),
) -> list[Target]:
    """Targets in a stable order: providers as given, then models (short names and full ids,
    checked; then ``raw_ids``, sent as typed), then Bedrock variants."""
    for name in models:
        check_model_name(name)
    named = [(name, False) for name in models] + [(raw, True) for raw in raw_ids]
    named = named or [(DEFAULT_MODEL, False)]
    several = len(named) > 1
    variants = (bedrock or BedrockVariants()).expand()
    targets: list[Target] = []
    for provider in providers:
        url = base_url(provider, env)
        for name, raw in named:
            model = name if raw else resolve_model(name, provider, geo)
            suffixes = variants if provider == "bedrock" else [("", {})]
            for suffix, options in suffixes:
                label = f"{provider}{suffix}" + (f"/{name}" if several else "")
                targets.append(Target(label, provider, model, url, dict(options)))  # type: ignore[arg-type]
    return targets


def emulator_env(base: Mapping[str, str], emulator_url: str, profile) -> dict[str, str]:
    """``base`` with every provider pointed at the emulator and given its dummy credentials."""
    env = {
        k: v
        for k, v in base.items()
        if k not in ("AWS_BEARER_TOKEN_BEDROCK", "AWS_SESSION_TOKEN", "AWS_PROFILE")
    }
    env.update(
        {
            "ANTHROPIC_BASE_URL": emulator_url,
            "ANTHROPIC_API_KEY": EMULATOR_API_KEY,
            "OPENAI_BASE_URL": emulator_url + "/v1",
            "OPENAI_API_KEY": EMULATOR_API_KEY,
            BEDROCK_ENDPOINT_ENV: emulator_url,
            "AWS_ACCESS_KEY_ID": profile.aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": profile.aws_secret_access_key,
            "AWS_REGION": EMULATOR_REGION,
        }
    )
    return env
