"""The emulator facing bad clients (issue 12, item 8): absurdly nested JSON is a 400 in the
API's own error shape on every route, a body over 32 MB a 413, and a client that holds a
connection without sending (slowloris) is let go."""

from __future__ import annotations

import json
import socket

import pytest

from fuzzing.live import ROUTES, _exchange, emulator, request_bytes
from sre_latency.emulator import http_request

DEEP = b"[" * 3000 + b"]" * 3000


def _status_and_body(response: bytes) -> tuple[int, dict, dict]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    pairs = (line.split(": ", 1) for line in lines[1:])
    headers = {name.lower(): value for name, value in pairs}
    return int(lines[0].split()[1]), headers, json.loads(body)


def _api_shaped(path: str, status: int, headers: dict, body: dict) -> None:
    if path.startswith("/model/"):
        assert set(body) == {"message"} and headers["x-amzn-errortype"].startswith(
            "ValidationException")  # fmt: skip
    elif path.startswith("/v1/chat/"):
        assert set(body["error"]) == {"message", "type", "param", "code"}
    else:
        assert body["type"] == "error" and body["error"]["type"] in (
            "invalid_request_error", "request_too_large")  # fmt: skip
    assert "Emulator bug" not in json.dumps(body)


@pytest.fixture(scope="module")
def emu():
    with emulator() as address:
        yield address


@pytest.mark.parametrize("path", sorted(ROUTES))
@pytest.mark.parametrize("where", ["whole body", "inside messages"])
def test_nested_json_is_a_400_in_the_apis_own_error_shape(emu, path, where):
    valid = json.dumps(ROUTES[path]).encode()
    body = DEEP if where == "whole body" else valid.replace(b'"hi"', DEEP, 1)
    status, headers, reply = _status_and_body(_exchange(emu, request_bytes(path, body)))
    assert status == 400
    _api_shaped(path, status, headers, reply)


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_a_body_over_32_mb_is_a_413_the_client_reads(emu, path):
    body = b'{"x": "' + b"a" * (33 * 1024 * 1024) + b'"}'
    status, headers, reply = _status_and_body(_exchange(emu, request_bytes(path, body)))
    assert status == 413
    _api_shaped(path, status, headers, reply)


def test_a_chunked_body_over_32_mb_is_a_413_too(emu):
    head = (b"POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\n"
            b"transfer-encoding: chunked\r\n\r\n")  # fmt: skip
    piece = b"a" * (1 << 20)
    chunks = b"".join(b"%x\r\n%b\r\n" % (len(piece), piece) for _ in range(34)) + b"0\r\n\r\n"
    status, _, reply = _status_and_body(_exchange(emu, head + chunks))
    assert status == 413 and reply["error"]["type"] == "request_too_large"


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed the connection (EOF) within the socket's timeout."""
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


@pytest.mark.parametrize(
    ("limit", "sent"),
    [
        ("HEAD_TIMEOUT_S", b"POST /v1/messages HTTP/1.1\r\nhost: x\r\n"),  # a head never ended
        ("IDLE_TIMEOUT_S", b""),  # connected, and silent
        (
            "BODY_TIMEOUT_S",
            b'POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{"mess',
        ),  # a body that never comes
    ],
)
def test_slow_clients_are_let_go(monkeypatch, limit, sent):
    monkeypatch.setattr(http_request, limit, 0.3)
    with emulator() as address:
        socks = [socket.create_connection(address, timeout=20) for _ in range(100)]
        try:
            for sock in socks:
                sock.sendall(sent)
            closed = [_closed_by_server(sock) for sock in socks]
        finally:
            for sock in socks:
                sock.close()
    assert closed == [True] * 100


def test_a_keep_alive_connection_that_is_used_stays_open(emu):
    with socket.create_connection(emu, timeout=10) as sock:
        for _ in range(3):
            sock.sendall(b"GET /v1/models HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/chat/completions", "/model/m/converse"])
def test_a_lone_surrogate_echoed_back_is_escaped_not_a_500(emu, path):
    """Found by benchmarks/fuzz.py: a model name "\\ud800" made the reply unencodable."""
    body = json.dumps({**ROUTES[path], "model": "\ud800", "stream": False}).encode()
    response = _exchange(emu, request_bytes(path, body))
    assert response.startswith(b"HTTP/1.1 200") and b"Emulator bug" not in response
