"""The monitor pushes its instruments over OTLP/HTTP; a local receiver decodes them with
``opentelemetry-proto`` (the collector's own wire format)."""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sre_latency.cli import main

pb = pytest.importorskip(
    "opentelemetry.proto.collector.metrics.v1.metrics_service_pb2",
    reason="opentelemetry-proto is a test dependency",
)


class Receiver:
    """An OTLP/HTTP metrics endpoint on 127.0.0.1 that keeps every request it decodes."""

    def __init__(self):
        self.requests: list = []
        self.paths: list[str] = []
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                message = pb.ExportMetricsServiceRequest()
                message.ParseFromString(body)
                received.paths.append(self.path)
                received.requests.append(message)
                reply = pb.ExportMetricsServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _points(requests, name):
    """(resource attributes, point attributes, point, unit) of metric ``name`` in the last push
    that has it (points are cumulative: the last one holds the whole run)."""
    out = []
    for request in reversed(requests):
        if out:
            break
        for rm in request.resource_metrics:
            resource = {a.key: a.value.string_value for a in rm.resource.attributes}
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    if metric.name != name:
                        continue
                    data = getattr(metric, metric.WhichOneof("data"))
                    for p in data.data_points:
                        attrs = {a.key: a.value.string_value for a in p.attributes}
                        out.append((resource, attrs, p, metric.unit))
    return out


def test_one_round_is_pushed_with_gen_ai_names_and_the_location_as_a_resource(receiver):
    code = main(["monitor", "--once", "--emulate", "--location", "eu-office",
                 "--otlp-endpoint", receiver.url, "--emulator-fault", "bedrock:rate_limit:1"])  # fmt: skip
    assert code == 0
    assert receiver.paths and set(receiver.paths) == {"/v1/metrics"}
    ttft = _points(receiver.requests, "gen_ai.client.operation.time_to_first_chunk")
    providers = {attrs["gen_ai.provider.name"] for _, attrs, _, _ in ttft}
    assert providers == {"anthropic", "openai"}  # bedrock's only request failed
    resource = ttft[0][0]
    assert resource["sre_latency.location"] == "eu-office" and resource["host.name"]
    assert resource["service.name"] == "sre-latency"
    assert all(p.count == 1 and unit == "s" for _, _, p, unit in ttft)
    duration = _points(receiver.requests, "gen_ai.client.operation.duration")
    failed = [a for _, a, _, _ in duration if "error.type" in a]
    assert [(a["gen_ai.provider.name"], a["error.type"]) for a in failed] == [
        ("aws.bedrock", "rate_limit")
    ]
    errors = _points(receiver.requests, "sre_latency.errors")
    assert [(a["sre_latency.target"], p.as_int) for _, a, p, _ in errors] == [("bedrock", 1)]
    tokens = _points(receiver.requests, "gen_ai.client.token.usage")
    assert {a["gen_ai.token.type"] for _, a, _, _ in tokens} == {"input", "output"}
