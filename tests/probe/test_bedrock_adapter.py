"""Our Bedrock adapter, through the probe engine, against the emulator: figures, invariants,
error classes, signatures; and its credentials, endpoints and options."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sre_latency.core.redact import scrub
from sre_latency.emulator import Emulator
from sre_latency.emulator.profile import EmulatorProfile
from sre_latency.emulator.protocols.bedrock import DEFAULT_BEARER_TOKEN
from sre_latency.errors import ConfigError, CredentialsError
from sre_latency.probe.engine import Deadlines, ProbeEngine
from sre_latency.probe.prompts import make_prompt
from sre_latency.probe.providers.anthropic import AnthropicAdapter
from sre_latency.probe.providers.base import ProbeSettings, Target
from sre_latency.probe.providers.bedrock import BedrockAdapter
from sre_latency.probe.targets import BedrockVariants, build_targets, emulator_env
from sre_latency.probe.transport import TRANSPORTS

TRANSPORT_NAMES = sorted(TRANSPORTS)

FAST = {"ttft_ms": 3.0, "itl_ms": 0.5, "output_tokens": 8, "bedrock_overhead_ms": 5.0}


async def measure(
    api="invoke", n=3, variants=None, env_patch=None, deadlines=None, transport="httpx2", **knobs
):
    """Run the engine on Bedrock targets against a fresh emulator; (label, sample) pairs."""
    async with Emulator(**{**FAST, **knobs}) as emu:
        env = {**emulator_env({}, emu.base_url, emu.profile), **(env_patch or {})}
        targets = build_targets(["bedrock"], ["haiku-4.5"], env, bedrock=variants)
        settings = ProbeSettings(env=env, bedrock_api=api)
        engine = ProbeEngine(
            targets,
            settings,
            make_prompt(),
            n=n,
            warmup=0,
            seed=1,
            deadlines=deadlines,
            transport=transport,
        )
        out = []
        await engine.run(lambda i, s: out.append((targets[i].label, s)))
        return out, emu


@pytest.mark.parametrize("transport", TRANSPORT_NAMES)
@pytest.mark.parametrize("api", ["invoke", "converse"])
async def test_bedrock_samples_carry_server_figures_and_keep_the_invariants(api, transport):
    samples, emu = await measure(api, n=4, transport=transport)
    assert len(samples) == 4
    for _, s in samples:
        assert s.error is None
        assert s.ttfb_ms <= s.ttft_ms <= s.total_ms
        assert s.ttft_ms >= FAST["bedrock_overhead_ms"] + FAST["ttft_ms"]
        assert s.output_tokens == 8
        assert s.input_tokens > 0
        assert s.itl_ms.n == 7
        assert 0 < s.server_latency_ms <= s.total_ms
        assert s.network_overhead_ms == pytest.approx(s.total_ms - s.server_latency_ms)
        assert s.request_id in {r.request_id for r in emu.records}
        if api == "invoke":
            assert 0 < s.server_ttft_ms <= s.server_latency_ms
        else:
            assert s.server_ttft_ms is None


@pytest.mark.parametrize("transport", TRANSPORT_NAMES)
async def test_every_transport_sends_the_percent_encoded_path_it_signed(transport):
    """The signature covers ``%3A`` in the model id: a client that re-encodes it is refused."""
    samples, emu = await measure("converse", n=1, transport=transport)
    (_, s) = samples[0]
    assert s.error is None, s.error
    assert emu.records[-1].status == 200


@pytest.mark.parametrize(
    ("fault", "error_class", "status"),
    [
        ("auth", "auth", 403),
        ("permission", "auth", 403),
        ("rate_limit", "rate_limit", 429),
        ("overloaded", "overloaded", 503),
        ("server", "server", 500),
        ("client", "client", 400),
        ("stream_error", "stream_error", None),
        ("truncate", "protocol", None),
        ("malformed", "protocol", None),
        ("cut", "connection", None),
    ],
)
@pytest.mark.parametrize("api", ["invoke", "converse"])
async def test_each_emulated_bedrock_fault_is_classified(api, fault, error_class, status):
    samples, _ = await measure(api, n=2, faults=[f"bedrock:{fault}:1.0"])
    for _, s in samples:
        assert s.error is not None, fault
        assert s.error.class_ == error_class
        if status is not None:
            assert s.error.status == status
            assert s.http_status == status


async def test_a_stall_before_the_first_token_is_a_timeout():
    deadlines = Deadlines(connect_s=5, first_token_s=0.2, total_s=5)
    samples, _ = await measure(
        "converse", n=1, deadlines=deadlines, faults=["bedrock:stall:1.0"], stall_ms=3000
    )
    (_, s) = samples[0]
    assert s.error.class_ == "timeout"


async def test_in_stream_exceptions_name_their_type_in_the_message():
    samples, _ = await measure("invoke", n=7, faults=["bedrock:stream_error:1.0"])
    messages = sorted(s.error.message.split(":")[0] for _, s in samples)
    assert "throttlingException" in messages
    assert "modelTimeoutException" in messages
    assert "InternalFailure" in messages


async def test_a_wrong_secret_key_is_refused_as_auth_without_leaking_it():
    secret = "wrong/secret/key/EXAMPLE0000000000000000"
    samples, _ = await measure(n=1, env_patch={"AWS_SECRET_ACCESS_KEY": secret})
    (_, s) = samples[0]
    assert s.error.class_ == "auth"
    assert s.error.status == 403
    assert s.error.message.startswith("InvalidSignatureException")
    assert secret not in s.error.message


async def test_a_request_changed_after_signing_is_refused_as_auth(monkeypatch):
    original = BedrockAdapter.prepare

    def tampered(self, prompt, max_tokens):
        req = original(self, prompt, max_tokens)
        req.content = req.content.replace(b'"max_tokens":64', b'"max_tokens":65')
        return req

    monkeypatch.setattr(BedrockAdapter, "prepare", tampered)
    samples, emu = await measure(n=1)
    (_, s) = samples[0]
    assert s.error.class_ == "auth"
    assert "InvalidSignatureException" in s.error.message
    assert emu.records[-1].status == 403


async def test_a_bedrock_api_key_is_sent_as_bearer_and_accepted_by_the_emulator():
    ok, _ = await measure(n=1, env_patch={"AWS_BEARER_TOKEN_BEDROCK": DEFAULT_BEARER_TOKEN})
    assert ok[0][1].error is None
    wrong, _ = await measure(n=1, env_patch={"AWS_BEARER_TOKEN_BEDROCK": "not-the-key"})
    assert wrong[0][1].error.class_ == "auth"
    assert "not-the-key" not in wrong[0][1].error.message


async def test_guardrail_and_optimized_variants_reach_the_emulator_as_their_overheads():
    variants = BedrockVariants(guardrail="gr-test:1", latency="optimized")
    knobs = {"bedrock_overhead_ms": 40.0, "guardrail_overhead_ms": 30.0}
    for api in ("invoke", "converse"):
        samples, emu = await measure(api, n=1, variants=variants, **knobs)
        assert sorted(label for label, _ in samples) == [
            "bedrock",
            "bedrock+guardrail",
            "bedrock+optimized",
        ]
        assert all(s.error is None for _, s in samples)
        first_byte_ms = sorted((r.headers_sent_ns - r.received_ns) / 1e6 for r in emu.records)
        # the emulator never sends early: optimized ≥ 20 ms, plain ≥ 40 ms, guardrail ≥ 70 ms
        assert first_byte_ms[0] >= 20 and first_byte_ms[1] >= 40 and first_byte_ms[2] >= 70


def _adapter(env, **options) -> BedrockAdapter:
    target = Target("bedrock", "bedrock", "haiku-4.5", "", options)
    return BedrockAdapter(target, ProbeSettings(env=env, bedrock_api=options.pop("api", "invoke")))


EMU_SECRET = EmulatorProfile().aws_secret_access_key
EMU_ENV = {
    "AWS_ACCESS_KEY_ID": EmulatorProfile().aws_access_key_id,
    "AWS_SECRET_ACCESS_KEY": EMU_SECRET,
    "AWS_REGION": "eu-west-3",
}


def test_invoke_sends_the_same_prompt_bytes_as_the_anthropic_api():
    prompt = make_prompt("medium")
    bedrock = json.loads(_adapter(EMU_ENV).prepare(prompt, 64).content)
    target = Target("anthropic", "anthropic", "claude-haiku-4-5-20251001", "http://x")
    anthropic = json.loads(
        AnthropicAdapter(target, ProbeSettings(env={"ANTHROPIC_API_KEY": "k"}))
        .prepare(prompt, 64)
        .content
    )
    assert bedrock["messages"] == anthropic["messages"]
    assert bedrock["max_tokens"] == anthropic["max_tokens"]
    assert bedrock["anthropic_version"] == "bedrock-2023-05-31"
    assert "model" not in bedrock and "stream" not in bedrock


def test_the_default_endpoint_is_regional_and_the_model_colon_is_percent_encoded():
    adapter = _adapter(EMU_ENV)
    assert adapter.url == (
        "https://bedrock-runtime.eu-west-3.amazonaws.com/model/"
        "us.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke-with-response-stream"
    )
    req = adapter.prepare(make_prompt(), 16)
    assert req.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIAEMULATOR")
    assert "/eu-west-3/bedrock/aws4_request" in req.headers["Authorization"]
    converse = _adapter(
        {**EMU_ENV, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "http://127.0.0.1:9/"}, api="converse"
    )
    assert converse.url.startswith("http://127.0.0.1:9/model/")
    assert converse.url.endswith("/converse-stream")


def test_options_become_headers_on_invoke_and_body_fields_on_converse():
    prompt = make_prompt()
    invoke = _adapter(
        EMU_ENV, guardrail="arn:aws:bedrock:us-east-1:1:guardrail/gr1:DRAFT", latency="optimized"
    )
    headers = invoke.prepare(prompt, 16).headers
    assert (
        headers["x-amzn-bedrock-guardrailidentifier"] == "arn:aws:bedrock:us-east-1:1:guardrail/gr1"
    )
    assert headers["x-amzn-bedrock-guardrailversion"] == "DRAFT"
    assert headers["x-amzn-bedrock-performanceconfig-latency"] == "optimized"
    converse = _adapter(EMU_ENV, api="converse", guardrail="gr1:2", latency="optimized")
    body = json.loads(converse.prepare(prompt, 16).content)
    assert body["guardrailConfig"] == {"guardrailIdentifier": "gr1", "guardrailVersion": "2"}
    assert body["performanceConfig"] == {"latency": "optimized"}
    assert body["inferenceConfig"] == {"maxTokens": 16}
    with pytest.raises(ConfigError, match="ID:VERSION"):
        _adapter(EMU_ENV, guardrail="no-version")


def test_missing_credentials_say_what_was_tried_and_suggest_emulate():
    with pytest.raises(CredentialsError) as caught:
        _adapter({"AWS_REGION": "us-east-1"})
    message = str(caught.value)
    for word in ("AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID", "profile", "SSO", "--emulate"):
        assert word in message
    with pytest.raises(CredentialsError):  # no AWS set-up at all: credentials are named first
        _adapter({})


def test_an_unknown_profile_is_named_in_one_sentence():
    for env in ({"AWS_REGION": "us-east-1", "AWS_PROFILE": "nosuch"}, {"AWS_PROFILE": "nosuch"}):
        with pytest.raises(CredentialsError, match=r"'nosuch'.*--emulate"):
            _adapter(env)


def test_a_missing_region_is_a_config_error():
    env = {k: v for k, v in EMU_ENV.items() if k != "AWS_REGION"}
    with pytest.raises(ConfigError, match="AWS_REGION"):
        _adapter(env)


def test_a_bearer_token_is_never_sent_over_plain_http_to_a_remote_host():
    env = {
        **EMU_ENV,
        "AWS_BEARER_TOKEN_BEDROCK": "tok",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "http://example.com",
    }
    with pytest.raises(ConfigError, match="HTTPS"):
        _adapter(env)
    secure = _adapter({**env, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "https://example.com"})
    assert secure.prepare(make_prompt(), 8).headers["Authorization"] == "Bearer tok"


def test_http_errors_are_classified_by_their_amazon_error_type():
    adapter = _adapter(EMU_ENV)
    cases = {
        (429, "ThrottlingException"): "rate_limit",
        (429, "ModelNotReadyException"): "overloaded",
        (400, "ServiceQuotaExceededException"): "rate_limit",
        (424, "ModelErrorException"): "server",
        (408, "ModelTimeoutException"): "timeout",
        (404, "ResourceNotFoundException"): "client",
        (403, "ExpiredTokenException"): "auth",
        (418, ""): "client",
    }
    for (status, etype), expected in cases.items():
        headers = (
            {"x-amzn-errortype": f"{etype}:http://internal.amazon.com/coral/"} if etype else {}
        )
        error = adapter.error_from_response(status, headers, b'{"message":"m"}')
        assert error.class_ == expected, etype
        assert error.status == status


def test_aws_signature_diagnostics_are_scrubbed_from_error_messages():
    secret = EMU_SECRET
    body = (
        "The request signature we calculated does not match the signature you provided.\n\n"
        "The Canonical String for this request should have been\n'POST\n/model/x\n\n"
        "x-amz-security-token:SESSIONTOKEN'\n"
    )
    message = scrub(body + " Signature=" + "ab" * 32 + " " + secret, (secret,))
    assert "SESSIONTOKEN" not in message
    assert "ab" * 32 not in message
    assert secret not in message
    assert message.startswith("The request signature we calculated")


def test_importing_the_bedrock_adapter_does_not_import_botocore():
    code = (
        "import sys, sre_latency.probe.providers.bedrock, sre_latency.core.paired; "
        "print('botocore' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_a_profile_from_the_shared_files_signs_requests_with_its_key_and_region(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "credentials").write_text(
        "[bench]\naws_access_key_id = AKIAPROFILEKEY000000\naws_secret_access_key = s3cr3t\n"
    )
    (tmp_path / "config").write_text("[profile bench]\nregion = ap-northeast-1\n")
    env = {
        "AWS_PROFILE": "bench",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
    }
    adapter = _adapter(env)
    assert adapter.endpoint == "https://bedrock-runtime.ap-northeast-1.amazonaws.com"
    auth = adapter.prepare(make_prompt(), 8).headers["Authorization"]
    assert "Credential=AKIAPROFILEKEY000000/" in auth
    assert "/ap-northeast-1/bedrock/aws4_request" in auth


def test_an_sso_profile_without_a_login_says_to_run_aws_sso_login(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "config").write_text(
        "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n"
        "sso_role_name = Developer\nregion = us-east-1\n"
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n"
    )
    env = {"AWS_PROFILE": "dev", "AWS_CONFIG_FILE": str(tmp_path / "config")}
    with pytest.raises(CredentialsError, match=r"aws sso login --profile dev.*--emulate"):
        _adapter(env)


def test_one_model_name_resolves_to_the_same_model_on_both_providers():
    from sre_latency.core.catalogue import resolve_model

    bedrock_id = "eu.anthropic.claude-haiku-4-5-20251001-v1:0"
    for name in ("haiku-4.5", "claude-haiku-4-5-20251001"):
        assert resolve_model(name, "bedrock", "eu") == bedrock_id
        assert resolve_model(name, "anthropic") == "claude-haiku-4-5-20251001"
    assert resolve_model("us.anthropic.claude-opus-4-6-v1", "anthropic") == "claude-opus-4-6"
    for full in (
        "anthropic.claude-opus-4-6-v1",
        "global.anthropic.claude-opus-4-6-v1",
        "arn:aws:x",
    ):
        assert resolve_model(full, "bedrock", "eu") == full
    assert resolve_model("my-gateway-model", "bedrock") == "my-gateway-model"
