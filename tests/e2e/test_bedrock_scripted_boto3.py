"""Scripted conversations on the Bedrock route, through the real boto3 client, with the request
body Claude Code 2.1.330 sends on Bedrock (``fixtures/claude_code/claude_p_bedrock_*.json``,
captured, long texts trimmed): its one-token model-access probe, then a turn."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from sre_latency.emulator import run_emulator_in_thread
from sre_latency.emulator.profile import EmulatorProfile
from sre_latency.emulator.scripted import SIDE_REQUEST_TEXT, Script

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "claude_code"
MODEL = "us.anthropic.claude-opus-5-5"
SCRIPT = [
    [{"type": "text", "text": "Writing it."},
     {"type": "tool_use", "name": "Write", "input": {"file_path": "/w/a.py", "content": "x = 1\n"}}],
    [{"type": "text", "text": "Done."}],
]  # fmt: skip


@pytest.fixture
def client(monkeypatch):
    defaults = EmulatorProfile()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", defaults.aws_access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", defaults.aws_secret_access_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    script = Script.from_data(SCRIPT)
    with run_emulator_in_thread(
        script=script, ttft_ms=3, itl_ms=0.5, bedrock_overhead_ms=20
    ) as emu:
        c = boto3.session.Session().client(
            "bedrock-runtime", endpoint_url=emu.base_url,
            config=Config(retries={"max_attempts": 1}, read_timeout=10, connect_timeout=5),
        )  # fmt: skip
        with closing(c):
            yield c, emu


def _events(response) -> list[dict]:
    """The Anthropic events of an invoke stream (botocore has already base64-decoded them)."""
    return [json.loads(e["chunk"]["bytes"]) for e in response["body"]]


def test_a_claude_code_turn_streams_the_scripted_text_and_tool_use(client):
    c, emu = client
    body = (FIXTURES / "claude_p_bedrock_turn_trimmed.json").read_text()
    events = _events(c.invoke_model_with_response_stream(modelId=MODEL, body=body))
    kinds = [e["type"] for e in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    starts = [e["content_block"] for e in events if e["type"] == "content_block_start"]
    assert [b["type"] for b in starts] == ["text", "tool_use"]
    assert starts[1]["name"] == "Write" and starts[1]["id"] == "toolu_script_01_02"
    pieces = "".join(e["delta"].get("partial_json", "") for e in events
                     if e["type"] == "content_block_delta")  # fmt: skip
    assert json.loads(pieces) == {"file_path": "/w/a.py", "content": "x = 1\n"}
    assert events[-2]["delta"]["stop_reason"] == "tool_use"
    assert events[-1]["amazon-bedrock-invocationMetrics"]["firstByteLatency"] >= 20
    (record,) = emu.records
    assert record.tools_offered == 12 and record.ttft_ns / 1e6 >= 23


def test_the_model_access_probe_gets_a_short_answer_and_uses_up_no_turn(client):
    c, _ = client
    probe = (FIXTURES / "claude_p_bedrock_probe.json").read_text()
    answer = json.loads(c.invoke_model(modelId=MODEL, body=probe)["body"].read())
    assert answer["content"] == [{"type": "text", "text": SIDE_REQUEST_TEXT}]
    turn = (FIXTURES / "claude_p_bedrock_turn_trimmed.json").read_text()
    events = _events(c.invoke_model_with_response_stream(modelId=MODEL, body=turn))
    assert any(e.get("content_block", {}).get("type") == "tool_use" for e in events)
