"""An OTLP/HTTP receiver for Claude Code's OpenTelemetry export, on 127.0.0.1, for one run.

Claude Code (``CLAUDE_CODE_ENABLE_TELEMETRY=1``) posts logs to ``/v1/logs`` and metrics to
``/v1/metrics`` (traces to ``/v1/traces`` in its beta), as ``application/json`` or
``application/x-protobuf``, optionally gzip-compressed, always with a Content-Length. At exit it
waits for its last export (up to 2 s) and drops it if the receiver is slow, so this receiver
answers at once: it keeps the raw body and replies ``200`` before decoding anything. Bodies are
decoded later, off Claude Code's path (``otlp_decode``). Each export is stamped with
``perf_counter_ns`` when its body was read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from time import perf_counter_ns

OTLP_PATHS = ("/v1/logs", "/v1/metrics", "/v1/traces")
MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Export:
    """One OTLP/HTTP request as received (body still encoded)."""

    path: str
    content_type: str
    content_encoding: str
    body: bytes
    received_ns: int


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the JavaScript exporter expects
    server: _Server

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            length = -1
        if path not in OTLP_PATHS or not 0 <= length <= MAX_BODY_BYTES:
            self._reply(404 if path not in OTLP_PATHS else 411, b"", "text/plain")
            return
        body = self.rfile.read(length)
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        export = Export(path, ctype, (self.headers.get("Content-Encoding") or "").lower(), body,
                        perf_counter_ns())  # fmt: skip
        self.server.keep(export)
        if ctype == "application/json":
            self._reply(200, b"{}", "application/json")
        else:
            self._reply(200, b"", "application/x-protobuf")

    def _reply(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: no access log
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.exports: list[Export] = []
        self.changed = threading.Condition()

    def keep(self, export: Export) -> None:
        with self.changed:
            self.exports.append(export)
            self.changed.notify_all()


class OtlpReceiver:
    """``with OtlpReceiver() as r: r.endpoint`` — the exports so far are ``r.exports(since)``."""

    def __init__(self) -> None:
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> OtlpReceiver:
        self._server = _Server()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
            name="sre-latency-otlp", daemon=True,
        )  # fmt: skip
        self._thread.start()
        return self

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def count(self) -> int:
        return len(self._server.exports) if self._server is not None else 0

    def exports(self, since: int = 0) -> list[Export]:
        """Exports received after the first ``since`` ones, in arrival order."""
        if self._server is None:
            return []
        with self._server.changed:
            return list(self._server.exports[since:])

    def wait_for_more(self, count: int, timeout_s: float) -> bool:
        """Block until more than ``count`` exports arrived, or ``timeout_s`` passed."""
        if self._server is None:
            return False
        with self._server.changed:
            return self._server.changed.wait_for(lambda: len(self._server.exports) > count,
                                                 timeout_s)  # fmt: skip

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OtlpReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
