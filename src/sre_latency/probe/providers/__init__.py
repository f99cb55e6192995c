"""Provider adapters, imported lazily by name so a run loads only the protocols it uses.

``adapter_class("bedrock")`` is the only thing that imports the Bedrock adapter (and through it,
botocore). The interface every adapter implements is documented in ``base.py``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from sre_latency.errors import ConfigError

if TYPE_CHECKING:
    from sre_latency.probe.providers.base import Adapter

ADAPTERS: dict[str, str] = {
    "anthropic": "sre_latency.probe.providers.anthropic:AnthropicAdapter",
    "openai": "sre_latency.probe.providers.openai:OpenAIAdapter",
    "bedrock": "sre_latency.probe.providers.bedrock:BedrockAdapter",
}
PROVIDERS: tuple[str, ...] = tuple(ADAPTERS)


def adapter_class(provider: str) -> type[Adapter]:
    """The adapter class for ``provider``; ConfigError for an unknown name."""
    try:
        spec = ADAPTERS[provider]
    except KeyError:
        raise ConfigError(
            f"unknown provider {provider!r}; choose from {', '.join(PROVIDERS)}."
        ) from None
    module_name, _, cls_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), cls_name)
