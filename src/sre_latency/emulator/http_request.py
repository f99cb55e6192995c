"""Reading one HTTP/1.1 request off a connection, with the limits a server facing bad clients
needs: bounded heads and bodies (413 past ``MAX_BODY_BYTES``) and timeouts, so that a client
holding connections open without sending (slowloris) cannot keep them forever.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from time import perf_counter_ns
from urllib.parse import parse_qsl, unquote

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 32 * 1024 * 1024
# A client that holds a connection without sending (slowloris) is let go: an idle keep-alive
# connection after IDLE_TIMEOUT_S (longer than any client's own keep-alive: httpx 5 s, aiohttp
# 15 s), a request head not finished HEAD_TIMEOUT_S after its first byte, a body after
# BODY_TIMEOUT_S. Read at each use, so a test may shorten them.
IDLE_TIMEOUT_S = 75.0
HEAD_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 60.0
DISCARD_LIMIT_BYTES = 256 * 1024 * 1024  # what is read (and dropped) of a refused body


@dataclass
class Request:
    """One request, fully read; ``received_ns`` anchors the response schedule and the truth."""

    method: str
    raw_path: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    received_ns: int


Refusal = Callable[[int, str], Awaitable[None]]  # (status, message): an answer in the API's shape


async def messages_body(
    req: Request, has_key: bool, refuse: Refusal, no_key: str, no_messages: str
) -> dict | None:
    """The JSON body of a chat request (a POST with a key and a ``messages`` list), or None
    after ``refuse`` answered the client's mistake, in the order the real APIs check them."""
    if req.method != "POST":
        await refuse(405, f"Method {req.method} is not allowed on {req.path}.")
        return None
    if not has_key:
        await refuse(401, no_key)
        return None
    try:
        body = json.loads(req.body or b"{}")
    except (ValueError, RecursionError):
        await refuse(400, "The request body is not valid JSON.")
        return None
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        await refuse(400, no_messages)
        return None
    return body


class BadRequest(Exception):
    """The bytes on the wire are not an HTTP/1.1 request we can serve; the connection closes."""


class PayloadTooLarge(Exception):
    """A body over ``MAX_BODY_BYTES``: answered 413 (the route's error shape), then closed."""

    def __init__(self, request: Request, unread: int):
        super().__init__("request body too large")
        self.request = request
        self.unread = unread  # body bytes still to come (-1: chunked, unknown)


async def read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> Request | None:
    """Read one request; None on a clean EOF (or an idle timeout) between requests."""
    try:
        async with asyncio.timeout(IDLE_TIMEOUT_S):
            first = await reader.read(1)
    except TimeoutError:
        return None
    try:
        async with asyncio.timeout(HEAD_TIMEOUT_S):
            head = first + await reader.readuntil(b"\r\n\r\n") if first else b""
    except asyncio.IncompleteReadError as exc:
        if not (first + exc.partial).strip():
            return None
        raise BadRequest("connection closed inside the request head") from exc
    except asyncio.LimitOverrunError as exc:
        raise BadRequest("request head too large") from exc
    except TimeoutError as exc:
        raise BadRequest("request head not finished in time") from exc
    if not head:
        return None
    lines = head[:-4].decode("latin-1").split("\r\n")
    while lines and not lines[0]:  # tolerate stray CRLF between requests
        lines.pop(0)
    try:
        method, target, _version = lines[0].split(" ", 2)
    except (ValueError, IndexError) as exc:
        raise BadRequest("malformed request line") from exc
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise BadRequest("malformed header line")
        headers[name.strip().lower()] = value.strip()
    raw_path, _, raw_query = target.partition("?")
    query = dict(parse_qsl(raw_query, keep_blank_values=True))
    request = Request(method, raw_path, unquote(raw_path), query, headers, b"", 0)
    chunked = headers.get("transfer-encoding", "").lower() == "chunked"
    length = 0 if chunked else _content_length(headers)
    if length > MAX_BODY_BYTES:
        raise PayloadTooLarge(request, length)
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits for this before the body
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            if chunked:
                request.body = await _read_chunked(reader, request)
            elif length:
                request.body = await reader.readexactly(length)
    except TimeoutError as exc:
        raise BadRequest("request body not sent in time") from exc
    request.received_ns = perf_counter_ns()
    return request


def _content_length(headers: dict[str, str]) -> int:
    try:
        length = int(headers.get("content-length", "0") or 0)
    except ValueError as exc:
        raise BadRequest("malformed content-length") from exc
    if length < 0:
        raise BadRequest("negative content-length")
    return length


async def _read_chunked(reader: asyncio.StreamReader, request: Request) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        total += size
        if total > MAX_BODY_BYTES:
            raise PayloadTooLarge(request, -1)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
