"""Base URLs as users write them: a query and ``user:password@`` reach the gateway, not the logs."""

from __future__ import annotations

import asyncio
import base64

import pytest

from sre_latency.core.contract import RunConfig, Sample
from sre_latency.emulator import Emulator, EmulatorProfile
from sre_latency.probe.engine import ProbeEngine
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers import adapter_class
from sre_latency.probe.providers.base import ProbeSettings, Target
from sre_latency.probe.session import new_run
from sre_latency.probe.targets import build_targets

KEY = "sk-the-real-key-123"
QUERY_SECRET = "qsecret-abc-987"


def _prepared(provider: str, base_url: str):
    env = {"ANTHROPIC_API_KEY": KEY, "OPENAI_API_KEY": KEY}
    target = Target(provider, provider, "claude-haiku-4-5", base_url)  # type: ignore[arg-type]
    return adapter_class(provider)(target, ProbeSettings(env=env)).prepare(make_prompt(), 8)


def test_the_api_path_goes_before_the_base_urls_query():
    req = _prepared("openai", f"https://gw.example/v1?key={QUERY_SECRET}")
    assert req.url == f"https://gw.example/v1/chat/completions?key={QUERY_SECRET}"
    req = _prepared("anthropic", f"https://gw.example/?key={QUERY_SECRET}")
    assert req.url == f"https://gw.example/v1/messages?key={QUERY_SECRET}"


def test_openai_keeps_its_bearer_key_when_the_base_url_carries_user_and_password():
    req = _prepared("openai", "https://alice:pw%21@gw.example/v1")
    assert req.url == "https://gw.example/v1/chat/completions"  # no userinfo left to the stack
    assert req.headers["authorization"] == f"Bearer {KEY}"


def test_anthropic_sends_the_base_urls_user_and_password_as_basic_beside_its_key():
    req = _prepared("anthropic", "https://alice:pw%21@gw.example")
    assert req.url == "https://gw.example/v1/messages"
    assert req.headers["x-api-key"] == KEY
    assert req.headers["authorization"] == "Basic " + base64.b64encode(b"alice:pw!").decode()


@pytest.mark.parametrize("transport", ["aiohttp", "httpx2"])
async def test_a_base_url_with_credentials_and_a_query_measures_without_errors(transport):
    profile = EmulatorProfile.build(ttft_ms=5.0, itl_ms=1.0, output_tokens=4)
    async with Emulator(profile) as emu, asyncio.timeout(30):
        host = emu.base_url.removeprefix("http://")
        env = {
            "OPENAI_BASE_URL": f"http://alice:pw@{host}/v1?key={QUERY_SECRET}",
            "OPENAI_API_KEY": KEY,
            "ANTHROPIC_BASE_URL": f"http://alice:pw@{host}?key={QUERY_SECRET}",
            "ANTHROPIC_API_KEY": KEY,
        }
        targets = build_targets(["openai", "anthropic"], [], env)
        engine = ProbeEngine(
            targets, ProbeSettings(env=env), make_prompt(), n=2, warmup=1, transport=transport
        )
        got: list[Sample] = []
        await engine.run(lambda i, s: got.append(s))
        routes = {r.route for r in emu.records}
    # the emulator answers 401 when the Bearer key is replaced and 404 on a mangled path
    assert len(got) == 4 and all(s.error is None for s in got), [s.error for s in got]
    assert routes == {"/v1/chat/completions", "/v1/messages"}
    run = new_run("benchmark", RunConfig(), engine)
    text = run.model_dump_json()
    assert QUERY_SECRET not in text and "alice" not in text and "pw@" not in text


async def test_an_error_that_quotes_the_request_url_keeps_no_url_secret():
    from sre_latency.probe.plan import Planned
    from sre_latency.probe.providers.base import sample_error

    class QuotingTransport:
        """A client library whose error message quotes the URL it was given."""

        async def exchange(self, req, parser, state, x, first_token_s, total_s):
            raise OSError(f"cannot reach {req.url}")

        def classify(self, exc):
            return sample_error("connection", str(exc))

    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": f"http://gw.test/v1?key={QUERY_SECRET}"}
    engine = ProbeEngine(build_targets(["openai"], [], env), ProbeSettings(env=env),
                         make_prompt(), n=1, warmup=0)  # fmt: skip
    _, error = await engine._send(QuotingTransport(), Planned(0, 0, False))
    assert error.class_ == "connection" and "gw.test/v1/chat/completions" in error.message
    assert QUERY_SECRET not in error.message
