"""The environment one benchmark session runs in: clean, per provider, instrumented.

Each session gets a fresh HOME and ``CLAUDE_CONFIG_DIR`` (no user settings, plugins or MCP
servers leak in), a ``settings.json`` there that registers our hook for this session only, its
own ``SRE_LATENCY_HOME`` (so the hook log holds this session alone), and Claude Code's
OpenTelemetry export pointed at the run's receiver with short intervals. Providers are chosen
the way users choose them: ``ANTHROPIC_API_KEY`` (+ ``ANTHROPIC_BASE_URL``) for the API; the
gateway's URL with ``ANTHROPIC_AUTH_TOKEN`` or ``ANTHROPIC_API_KEY`` for a gateway;
``CLAUDE_CODE_USE_BEDROCK=1`` with ``AWS_REGION`` and the AWS credential chain (+
``ANTHROPIC_BEDROCK_BASE_URL``) for Bedrock. Nothing else of the caller's environment passes,
except proxies and CA settings; ``~/.aws`` is linked into the fresh HOME for profiles and SSO.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from sre_latency.errors import ConfigError, CredentialsError

SESSION_PROVIDERS = ("anthropic", "bedrock", "gateway")
PASS_THROUGH = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy",
                "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "USER", "LOGNAME", "TZ")  # fmt: skip
HOOK_EVENTS = ("SessionStart", "UserPromptSubmit", "PreToolUse", "PermissionRequest",
               "PostToolUse", "PostToolUseFailure", "PostToolBatch", "SubagentStart",
               "SubagentStop", "Stop", "SessionEnd")  # fmt: skip
RESOURCE_TAG = "sre_latency.session"  # OTEL_RESOURCE_ATTRIBUTES key that tells sessions apart
EMULATED_API_KEY = "sk-ant-emulated-session"
EMULATED_GATEWAY_TOKEN = "emulated-gateway-token"
EMULATED_REGION = "us-east-1"
AWS_CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK",
                       "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")  # fmt: skip


@dataclass(frozen=True)
class EmulatedEndpoint:
    """Where the emulator listens and the AWS keys it verifies."""

    base_url: str
    aws_access_key_id: str
    aws_secret_access_key: str


@dataclass(frozen=True)
class Scratch:
    """One session's private directories."""

    root: Path

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def config_dir(self) -> Path:
        return self.home / ".claude"

    @property
    def sre_home(self) -> Path:
        return self.root / "sre-home"

    @property
    def hook_log(self) -> Path:
        return self.sre_home / "claude" / "tool-latency.jsonl"


def provider_env(provider: str, source: dict[str, str], model_id: str | None,
                 emulated: EmulatedEndpoint | None = None,
                 gateway_url: str | None = None) -> dict[str, str]:  # fmt: skip
    """The variables that select ``provider`` for Claude Code (CredentialsError when missing)."""
    env = _emulated(provider, emulated) if emulated else _real(provider, source, gateway_url)
    if model_id:
        env["ANTHROPIC_MODEL"] = model_id
    return env


def _emulated(provider: str, emu: EmulatedEndpoint) -> dict[str, str]:
    if provider == "bedrock":
        return {"CLAUDE_CODE_USE_BEDROCK": "1", "AWS_REGION": EMULATED_REGION,
                "AWS_ACCESS_KEY_ID": emu.aws_access_key_id,
                "AWS_SECRET_ACCESS_KEY": emu.aws_secret_access_key,
                "ANTHROPIC_BEDROCK_BASE_URL": emu.base_url}  # fmt: skip
    if provider == "gateway":
        return {"ANTHROPIC_BASE_URL": emu.base_url, "ANTHROPIC_AUTH_TOKEN": EMULATED_GATEWAY_TOKEN}
    return {"ANTHROPIC_BASE_URL": emu.base_url, "ANTHROPIC_API_KEY": EMULATED_API_KEY}


def _real(provider: str, source: dict[str, str], gateway_url: str | None) -> dict[str, str]:
    keys = {k: source[k] for k in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN") if source.get(k)}
    if provider == "bedrock":
        env = {k: v for k, v in source.items() if k.startswith("AWS_") and v}
        if not (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")):
            raise CredentialsError(
                "bedrock needs AWS_REGION (and AWS credentials: keys, AWS_PROFILE, SSO or "
                "AWS_BEARER_TOKEN_BEDROCK); set them, or use --emulate."
            )
        if not any(env.get(k) for k in AWS_CREDENTIAL_VARS) and not _aws_dir(source).is_dir():
            raise CredentialsError(
                "bedrock needs AWS credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE, ~/.aws, or "
                "AWS_BEARER_TOKEN_BEDROCK); set them, or use --emulate."
            )
        env.setdefault("AWS_REGION", env.get("AWS_DEFAULT_REGION", ""))
        env["CLAUDE_CODE_USE_BEDROCK"] = "1"
        if source.get("ANTHROPIC_BEDROCK_BASE_URL"):
            env["ANTHROPIC_BEDROCK_BASE_URL"] = source["ANTHROPIC_BEDROCK_BASE_URL"]
        return env
    if not keys:
        raise CredentialsError(
            f"{provider} needs ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN); set it, or use "
            "--emulate."
        )
    if provider == "gateway":
        if not gateway_url:
            raise ConfigError("the gateway provider needs --gateway-url (an Anthropic-compatible "
                              "gateway's base URL).")  # fmt: skip
        return {**keys, "ANTHROPIC_BASE_URL": gateway_url}
    if source.get("ANTHROPIC_BASE_URL"):
        keys["ANTHROPIC_BASE_URL"] = source["ANTHROPIC_BASE_URL"]
    return keys


def _aws_dir(source: dict[str, str]) -> Path:
    return Path(source.get("HOME") or Path.home()) / ".aws"


def otel_env(endpoint: str, tag: str) -> dict[str, str]:
    """Claude Code's OTLP/HTTP export of logs and metrics to our receiver, tagged per session."""
    return {
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_LOGS_EXPORT_INTERVAL": "500",
        "OTEL_METRIC_EXPORT_INTERVAL": "1000",
        "OTEL_RESOURCE_ATTRIBUTES": f"{RESOURCE_TAG}={tag}",
    }


def prepare_scratch(scratch: Scratch, hook: Path | None, source: dict[str, str],
                    link_aws: bool = True) -> None:  # fmt: skip
    """Fresh HOME and config dir; the hook registered in its settings when ``hook`` is given;
    the user's ``~/.aws`` linked in (for real Bedrock: profiles, SSO) when ``link_aws``."""
    scratch.config_dir.mkdir(parents=True, mode=0o700)
    scratch.sre_home.mkdir(mode=0o700)
    aws = _aws_dir(source)
    if link_aws and aws.is_dir():
        (scratch.home / ".aws").symlink_to(aws, target_is_directory=True)
    settings: dict = {}
    if hook is not None:
        command = shlex.quote(str(hook))
        entry = {"hooks": [{"type": "command", "command": command, "timeout": 5}]}
        settings["hooks"] = {e: [{"matcher": "*", **entry}] for e in HOOK_EVENTS}
    (scratch.config_dir / "settings.json").write_text(json.dumps(settings, indent=1))


def session_env(scratch: Scratch, provider: dict[str, str], otel: dict[str, str] | None,
                source: dict[str, str], python_dir: str) -> dict[str, str]:  # fmt: skip
    """Everything ``claude -p`` sees: a minimal base, the provider's variables, OTel."""
    path = os.pathsep.join([python_dir, source.get("PATH") or "/usr/local/bin:/usr/bin:/bin"])
    env = {k: source[k] for k in PASS_THROUGH if source.get(k)}
    env.update({
        "PATH": path, "HOME": str(scratch.home), "CLAUDE_CONFIG_DIR": str(scratch.config_dir),
        "SRE_LATENCY_HOME": str(scratch.sre_home), "LANG": source.get("LANG") or "C.UTF-8",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1",
    })  # fmt: skip
    env.update(provider)
    env.update(otel or {})
    return env
