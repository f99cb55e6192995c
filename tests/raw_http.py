"""An Anthropic streaming request as raw bytes, and a chunked response read off the wire: for the
tests that talk to the emulator below any HTTP client."""

from __future__ import annotations

import asyncio
import json

BODY = json.dumps(
    {
        "model": "m",
        "max_tokens": 50,
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
    }
).encode()


def request_bytes(body: bytes = BODY, extra: str = "") -> bytes:
    head = (
        "POST /v1/messages HTTP/1.1\r\nhost: localhost\r\nx-api-key: dummy\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[bytes, list[bytes]]:
    """Read one chunked response; return its head and the list of chunk payloads."""
    head = await reader.readuntil(b"\r\n\r\n")
    chunks = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        if size == 0:
            await reader.readexactly(2)
            return head, chunks
        chunks.append(await reader.readexactly(size))
        assert await reader.readexactly(2) == b"\r\n"
