"""The official openai SDK, pointed at the emulator, accepts its chat streams, usage and errors."""

from __future__ import annotations

import asyncio
import json

import httpx2
import openai
import pytest

from sre_latency.emulator import Emulator, EmulatorProfile

FAST = {"ttft_ms": 5, "itl_ms": 1, "output_tokens": 8}
MESSAGES = [{"role": "user", "content": "How fast is the first token?"}]


def client(emu: Emulator) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{emu.base_url}/v1", api_key="dummy", max_retries=0)


async def stream_chunks(emu: Emulator, **kwargs) -> list:
    async with client(emu) as sdk, asyncio.timeout(10):
        stream = await sdk.chat.completions.create(
            model="m",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
            **kwargs,
        )
        return [chunk async for chunk in stream]


async def test_sdk_streams_content_and_a_final_usage_chunk():
    async with Emulator(EmulatorProfile(**FAST)) as emu:
        chunks = await stream_chunks(emu)
    content = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(content) == 8
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == 8
    assert chunks[-1].usage.prompt_tokens >= 1
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


async def test_stream_without_include_usage_has_no_usage_chunk_and_ends_with_done():
    async with (
        Emulator(EmulatorProfile(**FAST)) as emu,
        httpx2.AsyncClient(base_url=emu.base_url, timeout=10) as http,
    ):
        response = await http.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": MESSAGES, "stream": True},
            headers={"authorization": "Bearer dummy"},
        )
    lines = [line for line in response.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    assert all(json.loads(line[6:])["choices"] for line in lines[:-1])
    assert response.headers["x-request-id"].startswith("req_")


async def test_max_completion_tokens_caps_the_reply_with_finish_reason_length():
    async with Emulator(EmulatorProfile(**FAST)) as emu:
        chunks = await stream_chunks(emu, max_completion_tokens=3)
    assert chunks[-1].usage.completion_tokens == 3
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"


async def test_non_streaming_completion_carries_usage():
    async with Emulator(EmulatorProfile(**FAST)) as emu, client(emu) as sdk:
        async with asyncio.timeout(10):
            completion = await sdk.chat.completions.create(model="m", messages=MESSAGES)
    assert completion.usage.completion_tokens == 8
    assert completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"


async def test_missing_bearer_token_is_a_401_in_openai_error_shape():
    async with (
        Emulator(EmulatorProfile(**FAST)) as emu,
        httpx2.AsyncClient(base_url=emu.base_url, timeout=10) as http,
    ):
        response = await http.post("/v1/chat/completions", json={"messages": MESSAGES})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("fault", "error_class", "status"),
    [
        ("auth", openai.AuthenticationError, 401),
        ("permission", openai.PermissionDeniedError, 403),
        ("rate_limit", openai.RateLimitError, 429),
        ("server", openai.InternalServerError, 500),
        ("overloaded", openai.InternalServerError, 503),
        ("client", openai.BadRequestError, 400),
    ],
)
async def test_each_http_fault_raises_the_sdk_matching_exception(fault, error_class, status):
    async with Emulator(EmulatorProfile.build(**FAST, faults=[f"{fault}:1"])) as emu:
        with pytest.raises(error_class) as caught:
            await stream_chunks(emu)
    assert caught.value.status_code == status
    assert caught.value.response.headers["x-request-id"].startswith("req_")


async def test_mid_stream_error_chunk_raises_api_error():
    async with Emulator(EmulatorProfile.build(**FAST, faults=["stream_error:1"])) as emu:
        with pytest.raises(openai.APIError) as caught:
            await stream_chunks(emu)
    assert not isinstance(caught.value, openai.APIStatusError)
    assert caught.value.body["code"] == "overloaded"


async def test_cut_connection_raises_api_connection_error():
    async with Emulator(EmulatorProfile.build(**FAST, faults=["cut:1"])) as emu:
        with pytest.raises(openai.APIConnectionError):
            await stream_chunks(emu)


async def test_truncated_stream_has_no_usage_and_raises_nothing():
    async with Emulator(EmulatorProfile.build(**FAST, faults=["truncate:1"])) as emu:
        chunks = await stream_chunks(emu)
    assert all(chunk.usage is None for chunk in chunks)
    assert len(chunks) == 1 + 4  # role chunk + half of the content


async def test_malformed_chunk_breaks_the_sdk_json_parsing():
    async with Emulator(EmulatorProfile.build(**FAST, faults=["malformed:1"])) as emu:
        with pytest.raises(json.JSONDecodeError):
            await stream_chunks(emu)


async def test_models_list_answers_the_openai_sdk():
    async with Emulator(EmulatorProfile(**FAST)) as emu, client(emu) as sdk:
        async with asyncio.timeout(10):
            page = await sdk.models.list()
    assert "claude-haiku-4-5-20251001" in [model.id for model in page.data]
