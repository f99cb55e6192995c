"""One real session's evidence joined into its SessionRecord (fixtures/claude_code/session_capture).

Each capture is what one session of the simple task (Write, Bash, final text) left, recorded by
``fixtures/runs/record_sessions.py`` with real Claude Code and the emulator: the raw OTLP exports,
the hook lines, Claude Code's result, the emulator's records, the launch and exit times.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from sre_latency.claude_code.otlp import Export
from sre_latency.claude_code.otlp_decode import decode
from sre_latency.claude_code.session_env import RESOURCE_TAG
from sre_latency.claude_code.session_record import build_record, sample_of, union_ms
from sre_latency.claude_code.session_run import SessionOutput

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "claude_code" / "session_capture"
TURN_ROUTES = ("/v1/messages", "/invoke-with-response-stream")


def load(provider: str) -> dict:
    data = json.loads((CAPTURES / f"{provider}.json").read_text())
    exports = [Export(e["path"], e["content_type"], e["content_encoding"],
                      base64.b64decode(e["body_b64"]), e["received_ns"]) for e in data["exports"]]  # fmt: skip
    decoded = decode(exports)
    data["events"] = [e for e in decoded.events if e.resource.get(RESOURCE_TAG) == data["tag"]]
    data["metrics"] = [m for m in decoded.metrics if m.resource.get(RESOURCE_TAG) == data["tag"]]
    data["output"] = SessionOutput(**data["out"])
    return data


def record_of(data: dict, **changes):
    out = SessionOutput(**{**data["out"], **changes})
    return build_record(data["seq"], data["round"], out, data["events"], data["metrics"],
                        data["hook"], data["records"])  # fmt: skip


def turns(records: list[dict]) -> list[dict]:
    return [r for r in records if r["route"].endswith(TURN_ROUTES)]


@pytest.mark.parametrize("provider", ["anthropic", "bedrock"])
def test_each_api_call_is_joined_to_the_emulator_record_of_its_request(provider):
    data = load(provider)
    record = record_of(data)
    truth = turns(data["records"])
    assert [c.request_id for c in record.api_calls] == [r["request_id"] for r in truth]
    assert [c.ttft_ms for c in record.api_calls] == [r["ttft_ms"] for r in truth]
    assert {c.ttft_source for c in record.api_calls} == {"emulator"}
    launch = data["out"]["launch_ns"]
    assert [c.started_ms for c in record.api_calls] == [(r["received_ns"] - launch) / 1e6
                                                        for r in truth]  # fmt: skip
    assert record.first_token_ms == (truth[0]["first_content_ns"] - launch) / 1e6
    assert record.startup_ms == record.api_calls[0].started_ms
    assert record.model_ms == sum(c.duration_ms for c in record.api_calls)


def test_bedrock_start_up_probes_are_side_requests_not_api_calls():
    anthropic, bedrock = record_of(load("anthropic")), record_of(load("bedrock"))
    assert (len(anthropic.api_calls), len(bedrock.api_calls)) == (3, 3)
    assert (anthropic.side_requests, bedrock.side_requests) == (0, 4)  # 3 invoke probes + 1 GET
    assert {c.provider for c in bedrock.api_calls} == {"bedrock"}
    assert all(c.model.startswith("us.anthropic.") for c in bedrock.api_calls)
    assert bedrock.tools_offered == anthropic.tools_offered > 0


@pytest.mark.parametrize("provider", ["anthropic", "bedrock"])
def test_the_scripted_tool_calls_come_with_category_duration_and_success(provider):
    record = record_of(load(provider))
    calls = [(t.tool_name, t.category, t.success) for t in record.tool_calls]
    assert calls == [("Write", "Built-in", True), ("Bash", "Bash", True)]
    assert all(t.duration_ms >= 0 and t.started_ms > 0 for t in record.tool_calls)
    spans = [(t.started_ms, t.started_ms + t.duration_ms) for t in record.tool_calls]
    assert record.tool_ms == union_ms(spans)
    assert record.outcome == "ok" and record.result.num_turns == 3


def test_a_session_is_one_sample_its_wall_time_and_its_first_token():
    record = record_of(load("anthropic"))
    sample = sample_of(record)
    assert (sample.total_ms, sample.ttft_ms, sample.round) == (
        record.wall_ms, record.first_token_ms, record.round)  # fmt: skip
    assert sample.error is None
    assert sample.output_tokens == sum(c.output_tokens for c in record.api_calls)


def test_a_killed_session_is_a_timeout_and_keeps_what_it_logged():
    data = load("bedrock")
    record = record_of(data, timed_out=True, exit_code=-9, result=None,
                       notes=["killed after --max-session-s 1 s"])  # fmt: skip
    assert record.outcome == "timeout" and len(record.api_calls) == 3
    error = sample_of(record).error
    assert error is not None and error.class_ == "timeout"
    assert record.notes == ["killed after --max-session-s 1 s"]


def test_a_session_that_ended_on_an_api_error_is_classed_by_its_status():
    data = load("anthropic")
    result = {**data["out"]["result"], "is_error": True, "api_error_status": 529}
    error = sample_of(record_of(data, exit_code=1, result=result)).error
    assert (error.class_, error.status) == ("overloaded", 529)


def test_without_the_emulator_per_call_ttft_is_claude_codes_own():
    data = load("anthropic")
    out = data["output"]
    record = build_record(0, 0, out, data["events"], data["metrics"], data["hook"], None)
    assert {c.ttft_source for c in record.api_calls} == {"claude_code"}
    assert [c.ttft_ms for c in record.api_calls] == [
        c.claude_code_ttft_ms for c in record.api_calls
    ]
    assert record.side_requests is None and record.tools_offered is None
    first = record.api_calls[0]
    assert record.first_token_ms == pytest.approx(first.started_ms + first.ttft_ms)
