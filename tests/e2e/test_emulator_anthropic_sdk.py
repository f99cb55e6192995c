"""The official anthropic SDK, pointed at the emulator, accepts its streams, JSON and errors."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx2
import pytest

from sre_latency.emulator import Emulator, EmulatorProfile

FAST = {"ttft_ms": 5, "itl_ms": 1, "output_tokens": 8}
MESSAGES = [{"role": "user", "content": "How fast is the first token?"}]


def client(emu: Emulator) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=emu.base_url, api_key="dummy", max_retries=0)


async def stream_once(emu: Emulator, **kwargs: Any) -> tuple[list[str], anthropic.types.Message]:
    async with client(emu) as sdk, asyncio.timeout(10):
        params = {"model": "claude-emulated", "max_tokens": 100, "messages": MESSAGES, **kwargs}
        async with sdk.messages.stream(**params) as stream:
            types = [event.type async for event in stream]
            return types, await stream.get_final_message()


async def test_sdk_streams_text_usage_stop_reason_and_request_id():
    async with Emulator(EmulatorProfile(**FAST)) as emu, client(emu) as sdk, asyncio.timeout(10):
        params = {"model": "claude-emulated", "max_tokens": 100, "messages": MESSAGES}
        async with sdk.messages.stream(**params) as stream:
            texts = [event.text async for event in stream if event.type == "text"]
            message = await stream.get_final_message()
            request_id = stream.response.headers["request-id"]
    assert len(texts) == 8
    assert message.content[0].text == "".join(texts)
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == 8
    assert message.usage.input_tokens >= 1
    assert message.usage.cache_read_input_tokens == 0
    assert message.usage.cache_creation_input_tokens == 0
    assert request_id.startswith("req_")
    assert emu.records[0].request_id == request_id


async def test_stream_sends_the_full_event_sequence_with_a_ping():
    async with Emulator(EmulatorProfile(**FAST)) as emu:
        await stream_once(emu)
        labels = [label for label, _ in emu.records[0].events]
    assert labels[:3] == ["message_start", "content_block_start", "ping"]
    assert labels[3:11] == ["content_block_delta"] * 8
    assert labels[11:] == ["content_block_stop", "message_delta", "message_stop"]


async def test_max_tokens_smaller_than_the_profile_caps_the_reply():
    async with Emulator(EmulatorProfile(**FAST)) as emu:
        _, message = await stream_once(emu, max_tokens=3)
    assert message.usage.output_tokens == 3
    assert message.stop_reason == "max_tokens"


async def test_non_streaming_call_returns_a_message_with_the_request_id():
    async with Emulator(EmulatorProfile(**FAST)) as emu, client(emu) as sdk:
        async with asyncio.timeout(10):
            message = await sdk.messages.create(
                model="claude-emulated", max_tokens=100, messages=MESSAGES
            )
    assert message.usage.output_tokens == 8
    assert message.stop_reason == "end_turn"
    assert message._request_id.startswith("req_")
    assert message.content[0].text


async def test_count_tokens_estimates_from_the_request_text():
    long_text = "word " * 400
    async with Emulator(EmulatorProfile(**FAST)) as emu, client(emu) as sdk:
        async with asyncio.timeout(10):
            short = await sdk.messages.count_tokens(model="m", messages=MESSAGES)
            long = await sdk.messages.count_tokens(
                model="m", messages=[{"role": "user", "content": long_text}]
            )
    assert long.input_tokens >= len(long_text) // 4
    assert 1 <= short.input_tokens < long.input_tokens


async def test_missing_api_key_is_an_authentication_error():
    async with (
        Emulator(EmulatorProfile(**FAST)) as emu,
        httpx2.AsyncClient(base_url=emu.base_url, timeout=10) as http,
    ):
        response = await http.post(
            "/v1/messages",
            json={"model": "m", "max_tokens": 5, "messages": MESSAGES},
            headers={"anthropic-version": "2023-06-01"},
        )
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


async def test_claude_code_style_request_with_x_api_key_and_beta_query_is_served():
    async with (
        Emulator(EmulatorProfile(**FAST)) as emu,
        httpx2.AsyncClient(base_url=emu.base_url, timeout=10) as http,
    ):
        body = {"model": "m", "max_tokens": 5, "stream": True, "messages": MESSAGES}
        response = await http.post(
            "/v1/messages?beta=true",
            json=body,
            headers={"x-api-key": "dummy", "anthropic-version": "2023-06-01"},
        )
    assert response.status_code == 200
    assert response.text.rstrip().endswith('data: {"type":"message_stop"}')


@pytest.mark.parametrize(
    ("fault", "error_class", "status"),
    [
        ("auth", anthropic.AuthenticationError, 401),
        ("permission", anthropic.PermissionDeniedError, 403),
        ("rate_limit", anthropic.RateLimitError, 429),
        ("server", anthropic.InternalServerError, 500),
        ("overloaded", anthropic.OverloadedError, 529),
        ("client", anthropic.BadRequestError, 400),
    ],
)
async def test_each_http_fault_raises_the_sdk_matching_exception(fault, error_class, status):
    profile = EmulatorProfile.build(**FAST, faults=[f"{fault}:1"], retry_after_s=7)
    async with Emulator(profile) as emu:
        with pytest.raises(error_class) as caught:
            await stream_once(emu)
    assert caught.value.status_code == status
    assert caught.value.body["error"]["type"]
    assert caught.value.response.headers["request-id"].startswith("req_")
    if fault == "rate_limit":
        assert caught.value.response.headers["retry-after"] == "7"


async def test_mid_stream_error_is_an_api_status_error_with_status_200():
    profile = EmulatorProfile.build(**FAST, faults=["stream_error:1"])
    async with Emulator(profile) as emu:
        with pytest.raises(anthropic.APIStatusError) as caught:
            await stream_once(emu)
        labels = [label for label, _ in emu.records[0].events]
    assert caught.value.status_code == 200
    assert caught.value.body["error"]["type"] == "overloaded_error"
    assert labels[-1] == "error"
    assert labels.count("content_block_delta") == 4


async def test_cut_connection_raises_the_transport_error_mid_stream():
    profile = EmulatorProfile.build(**FAST, faults=["connection:1"])
    async with Emulator(profile) as emu:
        with pytest.raises(httpx2.RemoteProtocolError):
            await stream_once(emu)
        record = emu.records[0]
    assert record.fault == "cut"
    assert record.outcome == "cut"
    assert record.content_events == 4


async def test_truncated_stream_ends_cleanly_without_message_stop():
    profile = EmulatorProfile.build(**FAST, faults=["protocol:1"])
    async with Emulator(profile) as emu:
        types, message = await stream_once(emu)
    assert "message_stop" not in types
    assert message.stop_reason is None  # the SDK raises nothing: the prober must notice


async def test_malformed_sse_line_breaks_the_sdk_json_parsing():
    profile = EmulatorProfile.build(**FAST, faults=["malformed:1"])
    async with Emulator(profile) as emu:
        with pytest.raises(json.JSONDecodeError):
            await stream_once(emu)


async def test_stall_fault_delays_the_first_token_by_stall_ms():
    profile = EmulatorProfile.build(**FAST, faults=["timeout:1"], stall_ms=60)
    async with Emulator(profile) as emu:
        await stream_once(emu)
        record = emu.records[0]
    assert record.fault == "stall"
    assert record.ttft_ns >= (5 + 60) * 1_000_000


@dataclass
class FakeTurn:
    content: list[dict[str, Any]]
    stop_reason: str


@dataclass
class FakeScript:
    """Same interface as emulator/scripted.py's Script: reply(request_body) -> turn."""

    turns: list[FakeTurn]
    seen: list[dict[str, Any]] = field(default_factory=list)

    def reply(self, request_body: dict[str, Any]) -> FakeTurn:
        self.seen.append(request_body)
        return self.turns[len(self.seen) - 1]


SCRIPT_TURNS = [
    FakeTurn(
        [
            {"type": "text", "text": "Let me look."},
            {
                "type": "tool_use",
                "id": "toolu_01",
                "name": "Bash",
                "input": {"command": "ls -la /tmp", "description": "list files"},
            },
        ],
        "tool_use",
    ),
    FakeTurn([{"type": "text", "text": "All done, the directory is listed."}], "end_turn"),
]


async def test_scripted_mode_streams_tool_use_blocks_the_sdk_reassembles():
    script = FakeScript(list(SCRIPT_TURNS))
    async with Emulator(EmulatorProfile(**FAST), script=script) as emu:
        types, first = await stream_once(emu)
        _, second = await stream_once(emu)
    assert first.stop_reason == "tool_use"
    assert first.content[0].text == "Let me look."
    tool = first.content[1]
    assert (tool.type, tool.id, tool.name) == ("tool_use", "toolu_01", "Bash")
    assert tool.input == {"command": "ls -la /tmp", "description": "list files"}
    assert "input_json" in types
    assert second.content[0].text == "All done, the directory is listed."
    assert second.stop_reason == "end_turn"
    assert script.seen[0]["messages"] == MESSAGES


async def test_scripted_mode_answers_non_streaming_calls_too():
    script = FakeScript(list(SCRIPT_TURNS))
    async with Emulator(EmulatorProfile(**FAST), script=script) as emu, client(emu) as sdk:
        async with asyncio.timeout(10):
            message = await sdk.messages.create(model="m", max_tokens=100, messages=MESSAGES)
    assert message.stop_reason == "tool_use"
    assert message.content[1].input["command"] == "ls -la /tmp"


async def test_prompt_caching_writes_then_reads_the_marked_prefix():
    system = [
        {"type": "text", "text": "You are terse. " * 400, "cache_control": {"type": "ephemeral"}}
    ]
    async with Emulator(EmulatorProfile(**FAST)) as emu:
        _, first = await stream_once(emu, system=system)
        _, second = await stream_once(emu, system=system)
        _, uncached = await stream_once(emu)
    assert first.usage.cache_creation_input_tokens >= 1024
    assert first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert second.usage.cache_creation_input_tokens == 0
    assert second.usage.input_tokens == first.usage.input_tokens
    assert uncached.usage.cache_read_input_tokens == uncached.usage.cache_creation_input_tokens == 0


async def test_script_file_is_played_through_the_scripted_module(tmp_path):
    script_file = tmp_path / "script.json"
    turns = [
        [
            {
                "type": "tool_use",
                "id": "toolu_9",
                "name": "Read",
                "input": {"file_path": "/etc/hosts"},
            }
        ],
        [{"type": "text", "text": "Read it."}],
    ]
    script_file.write_text(json.dumps(turns))
    tools = [{"name": "Read", "description": "read a file", "input_schema": {"type": "object"}}]
    async with Emulator(EmulatorProfile(**FAST, script=script_file)) as emu:
        _, message = await stream_once(emu, tools=tools)
    assert message.stop_reason == "tool_use"
    assert message.content[0].input == {"file_path": "/etc/hosts"}


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [
        ("stream_error", anthropic.OverloadedError),
        ("cut", anthropic.APIConnectionError),
        ("truncate", json.JSONDecodeError),
        ("malformed", json.JSONDecodeError),
    ],
)
async def test_stream_faults_on_a_non_streaming_call_break_it_the_way_docs_say(fault, error_class):
    profile = EmulatorProfile.build(**FAST, faults=[f"{fault}:1"])
    async with Emulator(profile) as emu, client(emu) as sdk:
        with pytest.raises(error_class):
            async with asyncio.timeout(10):
                await sdk.messages.create(model="m", max_tokens=100, messages=MESSAGES)


async def test_models_list_answers_the_anthropic_sdk():
    async with Emulator(EmulatorProfile(**FAST)) as emu, client(emu) as sdk:
        async with asyncio.timeout(10):
            page = await sdk.models.list()
    assert "claude-haiku-4-5-20251001" in [model.id for model in page.data]


async def test_extended_thinking_streams_a_signed_thinking_block_before_the_text():
    async with Emulator(EmulatorProfile(**FAST, thinking_tokens=5)) as emu:
        types, message = await stream_once(
            emu, max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024}
        )
        record = emu.records[0]
    thinking, text = message.content
    assert thinking.type == "thinking"
    assert thinking.thinking and thinking.signature.startswith("emulated-signature-")
    assert text.type == "text" and text.text
    assert message.usage.output_tokens == 5 + 8
    assert "thinking" in types and "signature" in types
    labels = [label for label, _ in record.events]
    # the answer's text is content; thinking is reasoning (ttfr_ms, docs/contract.md#metrics)
    assert record.content_events == 8 and labels.count("thinking_delta") == 5
    assert labels.index("signature_delta") == 3 + 5
