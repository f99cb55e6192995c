"""Shared test set-up: every test gets its own results root and no real credentials."""

from __future__ import annotations

import pytest

from recorded import recorded_run

_CREDENTIAL_VARS = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "CLAUDE_CODE_SESSION_ID",
)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """No test sees the user's results, keys or AWS config."""
    home = tmp_path_factory.mktemp("sre-home")
    monkeypatch.setenv("SRE_LATENCY_HOME", str(home))
    for var in _CREDENTIAL_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return home


# The recorded run files most analysis-tool tests read (profiles in fixtures/runs/record.py).
@pytest.fixture
def faulty(tmp_path_factory):
    """anthropic + openai with rate-limit, stream-error and server faults."""
    return recorded_run("faulty", tmp_path_factory)


@pytest.fixture
def base(tmp_path_factory):
    """anthropic + openai, no faults, TTFT 30 ms."""
    return recorded_run("base", tmp_path_factory)


@pytest.fixture
def slow(tmp_path_factory):
    """``base`` with TTFT 60 ms: a regression to find."""
    return recorded_run("slow", tmp_path_factory)


@pytest.fixture
def buffered(tmp_path_factory):
    """anthropic + openai whose every stream a buffering proxy delivered in one write."""
    return recorded_run("buffered", tmp_path_factory)
