"""Targets: one per provider × model (× Bedrock variant), labelled and addressed as documented."""

from __future__ import annotations

import pytest

from sre_latency.errors import ConfigError
from sre_latency.probe.prompts import PROMPT_SIZES, make_prompt
from sre_latency.probe.targets import BedrockVariants, build_targets, parse_providers

ENV = {"AWS_REGION": "eu-west-1"}


def test_one_model_labels_targets_by_provider_and_uses_default_endpoints():
    targets = build_targets(["anthropic", "openai", "bedrock"], ["haiku-4.5"], ENV)
    assert [(t.label, t.base_url) for t in targets] == [
        ("anthropic", "https://api.anthropic.com"),
        ("openai", "https://api.openai.com/v1"),
        ("bedrock", "https://bedrock-runtime.eu-west-1.amazonaws.com"),
    ]
    assert targets[0].model == "claude-haiku-4-5-20251001"
    assert targets[2].model == "us.anthropic.claude-haiku-4-5-20251001-v1:0"


def test_several_models_label_targets_provider_slash_model():
    targets = build_targets(["anthropic"], ["haiku-4.5", "claude-custom-id"], ENV)
    assert [(t.label, t.model) for t in targets] == [
        ("anthropic/haiku-4.5", "claude-haiku-4-5-20251001"),
        ("anthropic/claude-custom-id", "claude-custom-id"),
    ]


def test_base_url_variables_point_targets_at_a_gateway():
    env = {"ANTHROPIC_BASE_URL": "http://gw.local:8080/", "OPENAI_BASE_URL": "http://vllm:8000/v1"}
    targets = build_targets(["anthropic", "openai"], [], env)
    assert [t.base_url for t in targets] == ["http://gw.local:8080", "http://vllm:8000/v1"]


def test_bedrock_options_add_variant_targets_beside_plain_bedrock():
    variants = BedrockVariants(guardrail="gr-abc:3", latency="optimized")
    targets = build_targets(["bedrock"], [], ENV, geo="eu", bedrock=variants)
    assert [(t.label, t.options) for t in targets] == [
        ("bedrock", {}),
        ("bedrock+guardrail", {"guardrail": "gr-abc:3"}),
        ("bedrock+optimized", {"latency": "optimized"}),
    ]
    assert all(t.model.startswith("eu.") for t in targets)


def test_an_unknown_provider_is_one_sentence():
    with pytest.raises(ConfigError, match="unknown provider 'azure'"):
        parse_providers(["anthropic", "azure"], ["anthropic"])


def test_prompts_are_the_same_bytes_every_time_and_grow_with_size():
    sizes = [len(make_prompt(size).user) for size in PROMPT_SIZES]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3
    assert make_prompt("large") == make_prompt("large")
    with pytest.raises(ConfigError, match="--prompt-size"):
        make_prompt("huge")
