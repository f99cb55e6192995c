"""A tiny hostile gateway for tests: answers every request with bytes the test chooses.

It binds 127.0.0.1 on a free port, runs in a daemon thread (so in-process CLI calls and async
engines can both reach it) and is stopped by the test (``with Gateway(reply) as gw``). ``reply``
gets the raw request (request line, headers, body) and returns (status, headers, body chunks);
each chunk is sent as one HTTP chunk, so a stream arrives in the pieces the test wrote.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Reply = Callable[["RawRequest"], tuple[int, dict[str, str], Iterable[bytes]]]


@dataclass
class RawRequest:
    line: bytes  # b"POST /v1/messages?key=... HTTP/1.1"
    head: bytes  # the request line and every header, as sent
    body: bytes


def _read_request(conn: socket.socket) -> RawRequest | None:
    data = b""
    while b"\r\n\r\n" not in data:
        got = conn.recv(65536)
        if not got:
            return None
        data += got
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    while len(body) < length:
        got = conn.recv(65536)
        if not got:
            break
        body += got
    return RawRequest(head.split(b"\r\n", 1)[0], head, body)


class Gateway:
    """``with Gateway(reply) as gw: gw.base_url`` — one thread, one connection at a time."""

    def __init__(self, reply: Reply):
        self.reply = reply
        self.requests: list[RawRequest] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="test-gateway", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(10)
                try:
                    self._answer(conn)
                except OSError:
                    continue

    def _answer(self, conn: socket.socket) -> None:
        while (request := _read_request(conn)) is not None:
            self.requests.append(request)
            status, headers, chunks = self.reply(request)
            head = [f"HTTP/1.1 {status} X", "transfer-encoding: chunked"]
            head += [f"{k}: {v}" for k, v in headers.items()]
            conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
            for chunk in chunks:
                if chunk:
                    conn.sendall(b"%x\r\n%b\r\n" % (len(chunk), chunk))
            conn.sendall(b"0\r\n\r\n")

    def __enter__(self) -> Gateway:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


def fixed(status: int, body: bytes | list[bytes], headers: dict[str, str] | None = None) -> Reply:
    """A reply that is always the same status, headers and body (chunks)."""
    chunks = body if isinstance(body, list) else [body]
    return lambda request: (status, {"content-type": "text/event-stream", **(headers or {})},
                            chunks)  # fmt: skip
