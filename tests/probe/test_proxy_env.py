"""Both transports take proxies from the environment, as the official SDKs do: HTTP(S)_PROXY
carries the requests, NO_PROXY exempts hosts. aiohttp reads them once per origin, not on every
request as its ``trust_env`` does; httpx2 mounts them itself (given its own transport, httpx2
would ignore them)."""

from __future__ import annotations

import asyncio

import pytest

from gateway import Gateway, fixed
from sre_latency.probe.engine import ProbeEngine
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.base import ProbeSettings
from sre_latency.probe.targets import build_targets

STREAM = [
    b'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n',
    b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\n',
    b"data: [DONE]\n\n",
]
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


TRANSPORTS = pytest.mark.parametrize("transport", ["aiohttp", "httpx2"])


async def measure(base_url: str, transport: str, n: int = 3):
    env = {"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "sk-test"}
    targets = build_targets(["openai"], [], env)
    engine = ProbeEngine(targets, ProbeSettings(env=env), make_prompt(), n=n, warmup=1,
                         transport=transport)  # fmt: skip
    samples = []
    async with asyncio.timeout(60):
        await engine.run(lambda i, s: samples.append(s))
    return samples


@pytest.fixture
def clean_env(monkeypatch):
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@TRANSPORTS
async def test_every_request_goes_through_the_proxy_http_proxy_names(clean_env, transport):
    with Gateway(fixed(200, STREAM)) as proxy:
        clean_env.setenv("HTTP_PROXY", proxy.base_url)
        samples = await measure("http://llm.invalid:8080/v1", transport)  # resolvable by none
        lines = [r.line for r in proxy.requests]
    assert len(samples) == 3 and all(s.error is None and s.ttft_ms for s in samples)
    assert lines == [b"POST http://llm.invalid:8080/v1/chat/completions HTTP/1.1"] * 4


@TRANSPORTS
async def test_a_host_no_proxy_names_is_reached_directly(clean_env, transport):
    with Gateway(fixed(200, STREAM)) as server:
        clean_env.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
        clean_env.setenv("NO_PROXY", "127.0.0.1")
        samples = await measure(server.base_url + "/v1", transport)
        lines = [r.line for r in server.requests]
    assert len(samples) == 3 and all(s.error is None for s in samples)
    assert lines == [b"POST /v1/chat/completions HTTP/1.1"] * 4


@TRANSPORTS
async def test_a_netrc_entry_for_the_host_neither_breaks_requests_nor_replaces_the_key(
    clean_env, transport, tmp_path
):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password hunter2-netrc\n")
    netrc.chmod(0o600)
    with Gateway(fixed(200, STREAM)) as server:
        clean_env.setenv("NETRC", str(netrc))
        samples = await measure(server.base_url + "/v1", transport)
        heads = [r.head.lower() for r in server.requests]
    assert len(samples) == 3 and all(s.error is None for s in samples)
    assert all(b"authorization: bearer sk-test" in head for head in heads)
    assert not any(b"basic" in head for head in heads)
