"""The emulator's HTTP/1.1 core on a raw socket: one chunk per event, keep-alive, request framing."""

from __future__ import annotations

import asyncio

from raw_http import BODY, read_response, request_bytes
from sre_latency.emulator import Emulator, EmulatorProfile


async def test_each_sse_event_is_exactly_one_http_chunk():
    async with Emulator(EmulatorProfile(ttft_ms=1, itl_ms=0, output_tokens=5)) as emu:
        reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
        async with asyncio.timeout(10):
            writer.write(request_bytes())
            head, chunks = await read_response(reader)
        writer.close()
        await writer.wait_closed()
        labels = [label for label, _ in emu.records[0].events]
    assert b"transfer-encoding: chunked" in head
    assert len(chunks) == len(labels)
    for chunk, label in zip(chunks, labels, strict=True):
        assert chunk.startswith(f"event: {label}\n".encode())
        assert chunk.endswith(b"\n\n") and chunk.count(b"\n\n") == 1


async def test_one_connection_serves_several_requests_in_turn():
    async with Emulator(EmulatorProfile(ttft_ms=1, itl_ms=0, output_tokens=2)) as emu:
        reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
        async with asyncio.timeout(10):
            for _ in range(3):
                writer.write(request_bytes())
                head, _ = await read_response(reader)
                assert head.startswith(b"HTTP/1.1 200")
        writer.close()
        await writer.wait_closed()
        assert len(emu.records) == 3


async def test_connection_close_request_gets_its_answer_then_eof():
    async with Emulator(EmulatorProfile(ttft_ms=1, itl_ms=0, output_tokens=2)) as emu:
        reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
        async with asyncio.timeout(10):
            writer.write(request_bytes(extra="connection: close\r\n"))
            head, _ = await read_response(reader)
            assert b"connection: close" in head
            assert await reader.read() == b""
        writer.close()


async def test_chunked_request_body_is_accepted():
    async with Emulator(EmulatorProfile(ttft_ms=1, itl_ms=0, output_tokens=2)) as emu:
        reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
        half = len(BODY) // 2
        body = b"%x\r\n%b\r\n%x\r\n%b\r\n0\r\n\r\n" % (
            half,
            BODY[:half],
            len(BODY) - half,
            BODY[half:],
        )
        head = (
            "POST /v1/messages HTTP/1.1\r\nhost: localhost\r\nx-api-key: dummy\r\n"
            "transfer-encoding: chunked\r\n\r\n"
        )
        async with asyncio.timeout(10):
            writer.write(head.encode() + body)
            response_head, chunks = await read_response(reader)
        writer.close()
        await writer.wait_closed()
    assert response_head.startswith(b"HTTP/1.1 200")
    assert chunks[-1].startswith(b"event: message_stop")


async def test_garbage_on_the_wire_closes_the_connection_and_the_server_keeps_serving():
    async with Emulator(EmulatorProfile(ttft_ms=1, itl_ms=0, output_tokens=1)) as emu:
        reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
        async with asyncio.timeout(10):
            writer.write(b"NONSENSE\r\n\r\n")
            assert await reader.read() == b""
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
            writer.write(request_bytes())
            head, _ = await read_response(reader)
        writer.close()
        await writer.wait_closed()
    assert head.startswith(b"HTTP/1.1 200")


async def test_expect_100_continue_gets_an_interim_answer_before_the_body():
    async with Emulator(EmulatorProfile(ttft_ms=1, itl_ms=0, output_tokens=2)) as emu:
        reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
        head = request_bytes(extra="expect: 100-continue\r\n")[: -len(BODY)]
        async with asyncio.timeout(10):
            writer.write(head)
            assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
            writer.write(BODY)
            response_head, _ = await read_response(reader)
        writer.close()
        await writer.wait_closed()
    assert response_head.startswith(b"HTTP/1.1 200")


async def test_a_client_leaving_mid_stream_is_recorded_as_aborted_without_errors(caplog):
    async with Emulator(EmulatorProfile(ttft_ms=1, itl_ms=5, output_tokens=200)) as emu:
        reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
        async with asyncio.timeout(10):
            writer.write(request_bytes())
            await reader.readuntil(b"content_block_delta")
            writer.close()
            await writer.wait_closed()
            while not emu.records[0].complete:
                await asyncio.sleep(0.01)
            reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
            writer.write(request_bytes(body=BODY.replace(b'"max_tokens": 50', b'"max_tokens": 2')))
            head, _ = await read_response(reader)
        writer.close()
        await writer.wait_closed()
        record = emu.records[0]
    assert record.outcome == "aborted"
    assert record.content_events < 200
    assert head.startswith(b"HTTP/1.1 200")
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
