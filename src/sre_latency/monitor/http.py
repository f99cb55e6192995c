"""The monitor's HTTP endpoint: ``/metrics`` for Prometheus, ``/status`` for its rolling window.

A small threaded WSGI server (the standard library's, as prometheus-client's own) so scrapes
never wait on the probing loop. ``/status?provider=bedrock&last=1h`` answers the JSON of
``monitor.status.MonitorStatus``; ``/healthz`` answers ``ok``.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sre_latency.errors import ConfigError, LatencyError


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # no line per scrape on stderr
        pass


def parse_listen(text: str) -> tuple[str, int]:
    """``127.0.0.1:9464``, ``[::1]:9464`` or ``:9464`` (all interfaces) → (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--listen takes HOST:PORT such as 127.0.0.1:9464, not {text!r:.60}.")
    return host.strip("[]") or "0.0.0.0", int(port)


class MonitorHttp:
    """Serves ``app`` routes on ``host:port`` in a daemon thread until ``close()``."""

    def __init__(self, listen: str, metrics: Callable[[], bytes],
                 status: Callable[[dict[str, str]], str]):  # fmt: skip
        host, port = parse_listen(listen)
        self._metrics, self._status = metrics, status
        server_class = type("Server", (_Server,), {"address_family": _family(host)})
        try:
            self.server = make_server(host, port, self.app, server_class, handler_class=_Quiet)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {listen}: {exc.strerror or exc}.") from None
        self.thread = threading.Thread(target=self.server.serve_forever, name="monitor http",
                                       daemon=True)  # fmt: skip
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def app(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/metrics":
            return _reply(start_response, "200 OK", self._metrics(),
                          "text/plain; version=0.0.4; charset=utf-8")  # fmt: skip
        if path == "/status":
            query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            try:
                body, code = self._status(query).encode(), "200 OK"
            except LatencyError as exc:
                body, code = json.dumps({"error": str(exc)}).encode(), "400 Bad Request"
            return _reply(start_response, code, body, "application/json")
        if path in ("/", "/healthz"):
            return _reply(start_response, "200 OK", b"ok\n", "text/plain")
        return _reply(start_response, "404 Not Found", b"not found\n", "text/plain")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _reply(start_response: Callable, code: str, body: bytes, kind: str) -> list[bytes]:
    start_response(code, [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]
