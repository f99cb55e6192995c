"""A minimal OpenAI-compatible streaming server that shares no code with sre-latency.

``python benchmarks/independent_server.py [--ttft-ms 200 --itl-ms 10 --tokens 64]`` prints
``listening on http://127.0.0.1:PORT`` and serves until killed. Raw asyncio, HTTP/1.1 with
keep-alive, chunked transfer encoding, one chunk per SSE event. It is the second truth source of
``fidelity.py``: accuracy is not only measured against our own emulator.

- ``POST /v1/chat/completions``: the role chunk at once, the first content delta ``ttft_ms``
  after the request was read, then one every ``itl_ms`` (absolute schedule, never early), the
  finish chunk, a usage chunk, ``data: [DONE]``. ``x-request-id: ind-N``.
- ``GET /``: 404 with ``connection: close``, then the connection closes (what made a
  ``GET /`` warm-up open no connection at all).
- ``GET /_truth``: JSON ``{request_id: {received_ns, first_content_ns, last_content_ns,
  ended_ns}}``: ``perf_counter_ns()`` taken just before each write (CLOCK_MONOTONIC, the same
  clock as a client's ``perf_counter_ns`` on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time

PROFILE = {"ttft_ms": 200.0, "itl_ms": 10.0, "tokens": 64}
TRUTH: dict[str, dict[str, int]] = {}
_IDS = itertools.count(1)


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


def _event(obj: dict) -> bytes:
    return _chunk(b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n")


async def _sleep_until(due_ns: int) -> None:
    while (left := due_ns - time.perf_counter_ns()) > 0:
        await asyncio.sleep(left / 1e9)


async def _read_request(reader: asyncio.StreamReader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
    return method, path.split("?", 1)[0], headers, body, time.perf_counter_ns()


async def _stream(writer: asyncio.StreamWriter, received_ns: int) -> None:
    rid = f"ind-{next(_IDS)}"
    truth = TRUTH[rid] = {"received_ns": received_ns}
    head = (
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n"
        f"x-request-id: {rid}\r\n\r\n"
    ).encode()
    base = {"id": rid, "object": "chat.completion.chunk", "created": 0, "model": "independent"}
    writer.write(head + _event({**base, "choices": [{"index": 0, "delta": {"role": "assistant"}}]}))
    due = received_ns + int(PROFILE["ttft_ms"] * 1e6)
    for i in range(int(PROFILE["tokens"])):
        await _sleep_until(due)
        data = _event({**base, "choices": [{"index": 0, "delta": {"content": f"w{i} "}}]})
        sent_ns = time.perf_counter_ns()
        writer.write(data)
        truth.setdefault("first_content_ns", sent_ns)
        truth["last_content_ns"] = sent_ns
        due += int(PROFILE["itl_ms"] * 1e6)
    usage = {"prompt_tokens": 10, "completion_tokens": int(PROFILE["tokens"])}
    tail = _event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    tail += _event({**base, "choices": [], "usage": usage}) + _chunk(b"data: [DONE]\n\n")
    writer.write(tail + b"0\r\n\r\n")
    truth["ended_ns"] = time.perf_counter_ns()
    await writer.drain()


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                method, path, _headers, _body, received_ns = await _read_request(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            if method == "POST" and path == "/v1/chat/completions":
                await _stream(writer, received_ns)
            elif path == "/_truth":
                body = json.dumps(TRUTH).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\n\r\n%b" % (len(body), body))  # fmt: skip
                await writer.drain()
            else:  # GET / and anything else: 404, and the connection closes
                writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n"
                             b"connection: close\r\n\r\n")  # fmt: skip
                await writer.drain()
                return
    except ConnectionError:
        return
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(_serve, "127.0.0.1", port, backlog=2048)
    print(f"listening on http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ttft-ms", type=float, default=PROFILE["ttft_ms"])
    parser.add_argument("--itl-ms", type=float, default=PROFILE["itl_ms"])
    parser.add_argument("--tokens", type=int, default=PROFILE["tokens"])
    args = parser.parse_args()
    PROFILE.update(ttft_ms=args.ttft_ms, itl_ms=args.itl_ms, tokens=args.tokens)
    try:
        import uvloop  # the emulator's loop too: a fair fight at 256 streams
    except ImportError:
        uvloop = None
    (uvloop.run if uvloop is not None else asyncio.run)(main(args.port))
