"""Our OTLP/HTTP receiver and decoder, fed the exports real Claude Code 2.1.330 sent.

The captures (``fixtures/claude_code/otlp/<run>/NNNN.{meta.json,body}``) are one scripted
session (Write, Bash, final text) exported as http/json, http/protobuf and gzipped protobuf.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sre_latency.claude_code.otlp import Export, OtlpReceiver
from sre_latency.claude_code.otlp_decode import decode, flag, number

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "claude_code" / "otlp"
SESSION_EVENTS = ["managed_settings_resolved", "plugin_loaded", "plugin_loaded", "plugin_loaded",
                  "user_prompt", "api_request", "assistant_response", "tool_decision",
                  "tool_result", "tool_decision", "api_request", "tool_result", "api_request",
                  "assistant_response"]  # fmt: skip


def captured(run: str) -> list[tuple[dict, bytes]]:
    out = []
    for meta_file in sorted((CAPTURES / run).glob("*.meta.json")):
        meta = json.loads(meta_file.read_text())
        headers = {k.lower(): v for k, v in meta["headers"]}
        body = (CAPTURES / run / meta_file.name.replace(".meta.json", ".body")).read_bytes()
        out.append(({"path": meta["path"], **headers}, body))
    return out


def as_exports(run: str) -> list[Export]:
    return [Export(m["path"], m["content-type"], m.get("content-encoding", ""), body, 0)
            for m, body in captured(run)]  # fmt: skip


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def test_the_receiver_answers_each_export_at_once_and_keeps_its_body_unchanged():
    sent = captured("otel-protobuf")[:1] + captured("otel-json")[:1]
    with OtlpReceiver() as receiver:
        assert receiver.endpoint.startswith("http://127.0.0.1:")
        answers = []
        for meta, body in sent:
            headers = {"Content-Type": meta["content-type"]}
            answers.append(_post(receiver.endpoint + meta["path"], body, headers))
        assert _post(receiver.endpoint + "/v1/other", b"{}", {})[0] == 404
        kept = receiver.exports()
    assert answers == [(200, "application/x-protobuf", b""), (200, "application/json", b"{}")]
    assert [e.body for e in kept] == [body for _, body in sent]
    assert [e.content_type for e in kept] == ["application/x-protobuf", "application/json"]


@pytest.mark.parametrize("run", ["otel-json", "otel-protobuf", "gzip-protobuf"])
def test_every_encoding_claude_code_uses_decodes_to_the_same_events(run):
    decoded = decode(as_exports(run))
    assert decoded.undecodable == 0
    assert [e.name for e in decoded.events] == SESSION_EVENTS
    calls = [e.attributes for e in decoded.events if e.name == "api_request"]
    assert all(c["request_id"].startswith("req_emu") for c in calls)
    assert all(isinstance(c["duration_ms"], int) for c in calls)
    assert {m.name for m in decoded.metrics} >= {"claude_code.token.usage",
                                                  "claude_code.lines_of_code.count"}  # fmt: skip
    assert all(e.resource["service.name"] == "claude-code" for e in decoded.events)


def test_string_numbers_and_flags_of_tool_results_are_read_leniently():
    results = [e for e in decode(as_exports("otel-json")).events if e.name == "tool_result"]
    assert [type(e.attributes["duration_ms"]) for e in results] == [str, str]  # as sent
    assert all(number(e.attributes["duration_ms"]) >= 0 for e in results)
    assert [flag(e.attributes["success"]) for e in results] == [True, True]
    assert (number("x"), number(True), flag("yes")) == (None, None, None)


def test_a_body_that_cannot_be_decoded_is_counted_and_the_others_are_kept():
    exports = as_exports("otel-protobuf")
    broken = [Export("/v1/logs", "application/x-protobuf", "gzip", b"not gzip", 0),
              Export("/v1/logs", "application/json", "", b"[1, 2]", 0), *exports]  # fmt: skip
    decoded = decode(broken)
    assert decoded.undecodable == 2
    assert [e.name for e in decoded.events] == SESSION_EVENTS
