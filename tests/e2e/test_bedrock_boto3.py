"""The real boto3 ``bedrock-runtime`` client against the emulator: proof that the emulator's
Bedrock streams, metrics, in-stream exceptions, HTTP errors and SigV4 checks are what AWS sends."""

from __future__ import annotations

import json
from contextlib import closing, contextmanager

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

from sre_latency.emulator import run_emulator_in_thread
from sre_latency.emulator.profile import EmulatorProfile
from sre_latency.emulator.protocols.bedrock import STREAM_EXCEPTIONS

MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Say something."}]}]
TOKENS = 6
FAST = {"ttft_ms": 2.0, "itl_ms": 0.5, "output_tokens": TOKENS, "bedrock_overhead_ms": 1.0}


def invoke_body(max_tokens: int = 64) -> str:
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": "Say something."}],
        }
    )


@pytest.fixture
def aws_env(monkeypatch):
    """Dummy credentials through the environment, matching the emulator's; no bearer token."""
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    defaults = EmulatorProfile()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", defaults.aws_access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", defaults.aws_secret_access_key)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@contextmanager
def bedrock(**knobs):
    """An emulator with ``knobs`` and a boto3 client pointed at it (retries off)."""
    with run_emulator_in_thread(**{**FAST, **knobs}) as emu:
        client = boto3.session.Session().client(  # a fresh session reads the env again
            "bedrock-runtime",
            endpoint_url=emu.base_url,
            config=Config(retries={"max_attempts": 1}, read_timeout=10, connect_timeout=5),
        )
        try:
            yield client, emu
        finally:
            client.close()


def test_boto3_converse_stream_gets_every_event_and_the_metadata_metrics(aws_env):
    with bedrock() as (client, emu):
        response = client.converse_stream(modelId=MODEL, messages=MESSAGES)
        events = list(response["stream"])
    kinds = [next(iter(e)) for e in events]
    assert kinds == [
        "messageStart",
        *["contentBlockDelta"] * TOKENS,
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events[1 : 1 + TOKENS])
    assert len(text.split()) == TOKENS
    metadata = events[-1]["metadata"]
    assert metadata["usage"]["outputTokens"] == TOKENS
    assert metadata["usage"]["totalTokens"] == metadata["usage"]["inputTokens"] + TOKENS
    record = emu.records[-1]
    server_ms = (record.ended_ns - record.received_ns) / 1e6
    assert 0 <= metadata["metrics"]["latencyMs"] <= server_ms
    assert response["ResponseMetadata"]["RequestId"] == record.request_id


def test_boto3_invoke_stream_gets_every_chunk_and_the_invocation_metrics(aws_env):
    with bedrock() as (client, emu):
        response = client.invoke_model_with_response_stream(modelId=MODEL, body=invoke_body())
        events = [json.loads(e["chunk"]["bytes"]) for e in response["body"]]
    kinds = [e["type"] for e in events]
    assert kinds == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * TOKENS,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    metrics = events[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["outputTokenCount"] == TOKENS
    assert 0 <= metrics["firstByteLatency"] <= metrics["invocationLatency"]
    record = emu.records[-1]
    assert metrics["invocationLatency"] <= (record.ended_ns - record.received_ns) / 1e6
    assert metrics["firstByteLatency"] <= (record.first_content_ns - record.received_ns) / 1e6


def test_boto3_non_streaming_invoke_and_converse_return_text_usage_and_latency(aws_env):
    with bedrock() as (client, _):
        converse = client.converse(
            modelId=MODEL, messages=MESSAGES, inferenceConfig={"maxTokens": 3}
        )
        invoke = client.invoke_model(modelId=MODEL, body=invoke_body(max_tokens=3))
    assert converse["stopReason"] == "max_tokens"
    assert converse["usage"]["outputTokens"] == 3
    assert converse["metrics"]["latencyMs"] >= 0
    message = json.loads(invoke["body"].read())
    assert message["usage"]["output_tokens"] == 3
    assert message["stop_reason"] == "max_tokens"
    headers = invoke["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-output-token-count"]) == 3


@pytest.mark.parametrize("api", ["converse", "invoke"])
def test_boto3_names_each_in_stream_exception_the_emulator_sends(aws_env, api):
    expected = [*STREAM_EXCEPTIONS[api], "InternalFailure"]
    seen = []
    with bedrock(faults=["bedrock:stream_error:1.0"]) as (client, _):
        for _ in expected:
            if api == "converse":
                stream = client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]
            else:
                response = client.invoke_model_with_response_stream(
                    modelId=MODEL, body=invoke_body()
                )
                stream = response["body"]
            with closing(stream), pytest.raises(EventStreamError) as caught:
                list(stream)
            seen.append(caught.value.response["Error"]["Code"])
    assert seen == expected


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ("auth", 403, "UnrecognizedClientException"),
        ("permission", 403, "AccessDeniedException"),
        ("rate_limit", 429, "ThrottlingException"),
        ("overloaded", 503, "ServiceUnavailableException"),
        ("server", 500, "InternalServerException"),
        ("client", 400, "ValidationException"),
    ],
)
def test_boto3_names_each_http_error_the_emulator_sends(aws_env, fault, status, code):
    with bedrock(faults=[f"bedrock:{fault}:1.0"]) as (client, _):
        for call in (
            lambda: client.converse_stream(modelId=MODEL, messages=MESSAGES),
            lambda: client.invoke_model_with_response_stream(modelId=MODEL, body=invoke_body()),
        ):
            with pytest.raises(ClientError) as caught:
                call()
            error = caught.value.response
            assert error["Error"]["Code"] == code
            assert error["ResponseMetadata"]["HTTPStatusCode"] == status
            assert error["Error"]["Message"]


def test_boto3_sees_a_corrupted_frame_as_a_checksum_mismatch(aws_env):
    from botocore.eventstream import ChecksumMismatch

    with bedrock(faults=["bedrock:malformed:1.0"]) as (client, _):
        stream = client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]
        with closing(stream), pytest.raises(ChecksumMismatch):
            list(stream)


def test_boto3_with_a_wrong_secret_is_refused_with_invalid_signature(aws_env, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-emulator-secret")
    with bedrock() as (client, emu), pytest.raises(ClientError) as caught:
        client.converse_stream(modelId=MODEL, messages=MESSAGES)
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert emu.records[-1].status == 403


def test_boto3_with_an_unknown_access_key_is_refused_as_unrecognized_client(aws_env, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
    with bedrock() as (client, _), pytest.raises(ClientError) as caught:
        client.invoke_model_with_response_stream(modelId=MODEL, body=invoke_body())
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
