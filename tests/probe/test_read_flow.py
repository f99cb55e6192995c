"""The aiohttp stamping handler under flow control: a body that outruns the reader makes aiohttp
pause the socket, and the handler must let it resume, or the stream would hang or lose bytes."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from gateway import Gateway, fixed
from sre_latency.probe.engine import ProbeEngine
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.base import ProbeSettings
from sre_latency.probe.targets import build_targets

DELTAS = 3000  # 3,000 events of ~1.1 KiB: ~3.3 MiB, many times aiohttp's 128 KiB high-water mark


def big_stream() -> list[bytes]:
    def data(obj: dict) -> bytes:
        return b"data: " + json.dumps(obj).encode() + b"\n\n"

    text = "x" * 1000
    events = [data({"choices": [{"index": 0, "delta": {"content": text}}]}) for _ in range(DELTAS)]
    usage = data({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": DELTAS}})
    body = b"".join(events) + usage + b"data: [DONE]\n\n"
    return [body[i : i + 256 * 1024] for i in range(0, len(body), 256 * 1024)]


async def busy_loop() -> None:
    """Hold the event loop 20 ms in every 25, as hundreds of streams do."""
    while True:
        time.sleep(0.02)
        await asyncio.sleep(0.005)


@pytest.mark.parametrize("transport", ["aiohttp", "httpx2"])
def test_a_stream_much_larger_than_the_read_buffer_arrives_whole(transport):
    # uvloop, as the tool runs: it reads a socket several times per loop turn, so a busy
    # reader falls more than aiohttp's high-water mark behind and aiohttp pauses the socket.
    uvloop = pytest.importorskip("uvloop", reason="uvloop is not installed on this platform")
    samples = uvloop.run(measure_big_stream(transport))
    assert len(samples) == 3
    for s in samples:
        assert s.error is None, s.error
        assert s.output_tokens == DELTAS and s.itl_ms.n == DELTAS - 1
        assert s.ttft_ms <= s.total_ms


async def measure_big_stream(transport: str) -> list:
    with Gateway(fixed(200, big_stream())) as gw:
        env = {"OPENAI_BASE_URL": gw.base_url + "/v1", "OPENAI_API_KEY": "sk-test"}
        targets = build_targets(["openai"], [], env)
        engine = ProbeEngine(targets, ProbeSettings(env=env), make_prompt(), n=3, warmup=0,
                             transport=transport)  # fmt: skip
        samples = []
        hog = asyncio.create_task(busy_loop())  # a loaded client: the kernel buffer fills
        try:
            async with asyncio.timeout(60):
                await engine.run(lambda i, s: samples.append(s))
        finally:
            hog.cancel()
    return samples
