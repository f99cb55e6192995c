"""Wire behaviours of servers we did not write, rehearsed by the emulator on a raw socket."""

from __future__ import annotations

import asyncio
import json

import pytest

from raw_http import read_response, request_bytes
from sre_latency.emulator import Emulator, EmulatorProfile

QUIET_S = 0.3  # "no answer" is checked over this long: a bound on the wait, not a duration


async def _exchange(emu: Emulator, raw: bytes) -> tuple[bytes, list[bytes]]:
    """Send ``raw``; the response head and its chunks."""
    reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
    try:
        async with asyncio.timeout(10):
            writer.write(raw)
            return await read_response(reader)
    finally:
        writer.close()


async def _silent(emu: Emulator, raw: bytes) -> bool:
    """Whether ``raw`` gets no byte back while the connection stays open."""
    reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
    writer.write(raw)
    try:
        await asyncio.wait_for(reader.read(1), QUIET_S)
    except TimeoutError:
        return True
    finally:
        writer.close()
    return False


ROOT = b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n"


async def _root_head(emu: Emulator) -> tuple[bytes, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
    try:
        async with asyncio.timeout(10):
            writer.write(ROOT)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            writer.write(ROOT)  # a second request on the same connection
            try:
                return head, await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as closed:
                return head, closed.partial
    finally:
        writer.close()


async def test_get_root_is_a_404_on_a_connection_that_stays_open_by_default():
    async with Emulator(EmulatorProfile()) as emu:
        head, after = await _root_head(emu)
    assert head.startswith(b"HTTP/1.1 404") and b"connection: close" not in head
    assert after.startswith(b"HTTP/1.1 404")  # answered again: the connection was kept


async def test_root_response_404_close_answers_404_and_closes_the_connection():
    async with Emulator(EmulatorProfile(root_response="404-close")) as emu:
        head, after = await _root_head(emu)
    assert head.startswith(b"HTTP/1.1 404") and b"connection: close" in head
    assert after == b""


async def test_root_response_stall_never_answers_get_root():
    async with Emulator(EmulatorProfile(root_response="stall")) as emu:
        assert await _silent(emu, ROOT)


async def test_an_unresponsive_emulator_reads_requests_and_never_answers():
    async with Emulator(EmulatorProfile(unresponsive=True)) as emu:
        assert await _silent(emu, request_bytes())
        assert [r.route for r in emu.records] == ["/v1/messages"]


async def test_split_first_event_sends_the_first_content_event_in_two_writes():
    profile = EmulatorProfile(ttft_ms=1, itl_ms=0, output_tokens=3, split_first_event_ms=40)
    async with Emulator(profile) as emu:
        _, chunks = await _exchange(emu, request_bytes())
    events = emu.records[0].events
    labels = [label for label, _ in events]
    first = labels.index("content_block_delta")
    assert labels[first + 1] == "content_block_delta:rest"
    assert events[first + 1][1] - events[first][1] >= 40_000_000  # never early
    assert emu.records[0].first_content_ns == events[first][1]  # the truth is the first write
    assert len(chunks) == len(labels)  # two HTTP chunks carry the first event


@pytest.mark.parametrize("writes", [1, 2])
async def test_buffered_writes_deliver_the_whole_stream_in_one_or_two_writes(writes):
    profile = EmulatorProfile(ttft_ms=5, itl_ms=2, output_tokens=12, buffered_writes=writes)
    async with Emulator(profile) as emu:
        _, chunks = await _exchange(emu, request_bytes())
        record = emu.records[0]
    assert len({ns for _, ns in record.events}) == writes
    assert record.content_events == 12 and len(chunks) == len(record.events)


async def test_reasoning_tokens_stream_reasoning_content_before_the_openai_answer():
    profile = EmulatorProfile(ttft_ms=1, itl_ms=1, output_tokens=3, reasoning_tokens=4)
    body = json.dumps(
        {
            "model": "m",
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "hi"}],
        }
    ).encode()
    head = (
        "POST /v1/chat/completions HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer k\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    async with Emulator(profile) as emu:
        _, chunks = await _exchange(emu, head.encode() + body)
        record = emu.records[0]
    deltas = [json.loads(c[6:])["choices"][0]["delta"] for c in chunks if b'"delta"' in c]
    kinds = ["reasoning" if d.get("reasoning_content") else "content" for d in deltas[1:-1]]
    assert kinds == ["reasoning"] * 4 + ["content"] * 3
    usage = json.loads(chunks[-2][6:])["usage"]
    assert usage["completion_tokens"] == 4 + 3  # reasoning tokens are output tokens
    labels = [label for label, _ in record.events]
    assert record.content_events == 3 and labels.count("reasoning_delta") == 4
