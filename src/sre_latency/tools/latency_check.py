"""The ``latency_check`` tool: one streamed request per provider, a one-screen answer.

For "is it slow right now?": no warm-up, so the request opens its own connection, and the
connection set-up (DNS, TCP, TLS) is reported apart from TTFT. ``all`` means every provider
whose credentials are present (all three with ``emulate``). Saved as a run of kind
``latency_check``, like a benchmark with ``n=1``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from sre_latency.core.conditions import Conditions
from sre_latency.errors import ConfigError, CredentialsError
from sre_latency.store import RunStore
from sre_latency.tools.options import Face
from sre_latency.tools.probe_options import ProbeOptions

ALL_PROVIDERS = ("anthropic", "openai", "bedrock")
DESCRIPTION = """\
Quick look: is Claude slow right now? Sends ONE streamed request per provider on a fresh
connection and reports TTFT, total time and connection set-up (DNS+TCP, TLS) apart. Use it
first when someone says Claude feels slow; use benchmark for figures with percentiles.
COSTS API CREDITS (one small request per provider) unless emulate=true. With provider=all,
providers without credentials are skipped."""


class LatencyCheckOptions(ProbeOptions):
    provider: Annotated[Literal["anthropic", "openai", "bedrock", "all"], Face(positional=True)] = (
        Field("all", description="which provider; all = every provider that has credentials")
    )


class ProviderCheck(BaseModel):
    label: str
    provider: str
    model: str
    status: Literal["ok", "error"]
    ttft_ms: float | None
    total_ms: float | None
    connect_ms: float | None = Field(
        description="TCP connect (DNS included) of the fresh connection"
    )
    tls_ms: float | None
    server_latency_ms: float | None = Field(description="Bedrock's own figure; null elsewhere")
    output_tokens: int | None
    http_status: int | None
    error_class: str | None
    error: str | None
    request_id: str | None


class LatencyCheckResult(BaseModel):
    run_id: str
    path: str
    providers: list[ProviderCheck]
    skipped: list[str] = Field(description="providers without credentials (with provider=all)")
    summary: str
    emulated: bool = Field(False, description="measured against the built-in emulator")
    conditions: Conditions | None = None


def _available(provider: str, opts: LatencyCheckOptions) -> bool:
    """True when the provider's adapter can be built (its credentials are present)."""
    import os

    from sre_latency.probe.engine import build_adapters
    from sre_latency.probe.providers.base import ProbeSettings
    from sre_latency.probe.targets import build_targets

    env = dict(os.environ)
    targets = build_targets(
        [provider], opts.model, env, geo=opts.bedrock_geo, raw_ids=opts.model_id
    )  # bad flags raise
    try:
        build_adapters(targets, ProbeSettings(env=env, bedrock_api=opts.bedrock_api))
    except ConfigError:  # missing key, or Bedrock without credentials or region
        return False
    return True


async def latency_check(
    opts: LatencyCheckOptions, *, store: RunStore | None = None, confined: bool = False
) -> LatencyCheckResult:
    """One request per provider on a fresh connection; CredentialsError when none has any."""
    from sre_latency.tools.benchmark import BenchmarkOptions, start_benchmark

    providers = list(ALL_PROVIDERS) if opts.provider == "all" else [opts.provider]
    skipped: list[str] = []
    if opts.provider == "all" and not opts.emulate:
        skipped = [p for p in providers if not _available(p, opts)]
        providers = [p for p in providers if p not in skipped]
        if not providers:
            raise CredentialsError(
                "no provider has credentials: set ANTHROPIC_API_KEY, OPENAI_API_KEY or AWS "
                "credentials (env, profile or SSO), or add --emulate to check the built-in "
                "emulator instead."
            )
    shared = opts.model_dump(exclude={"provider"})
    bench = BenchmarkOptions(
        **shared,
        providers=providers,
        n=1,
        warmup=0,
        concurrency=1,
        cold=True,  # each provider on its own fresh connection: DNS/TCP/TLS reported apart
    )
    handle = await start_benchmark(bench, store=store, kind="latency_check", confined=confined)
    run = await handle.wait()
    rows = [_check_row(label, result) for label, result in run.providers.items()]
    from sre_latency.tools.benchmark_result import run_conditions

    summary = check_summary(rows, skipped)
    return LatencyCheckResult(
        run_id=run.run_id,
        path=handle.location,
        providers=rows,
        skipped=skipped,
        summary=f"EMULATED: {summary}" if opts.emulate else summary,
        emulated=opts.emulate,
        conditions=run_conditions(run),
    )


def _check_row(label: str, result) -> ProviderCheck:
    s = result.samples[0] if result.samples else None
    err = s.error if s is not None else None
    return ProviderCheck(
        label=label,
        provider=result.provider,
        model=result.model,
        status="ok" if s is not None and err is None else "error",
        ttft_ms=s.ttft_ms if s else None,
        total_ms=s.total_ms if s else None,
        connect_ms=s.connect_ms if s else None,
        tls_ms=s.tls_ms if s else None,
        server_latency_ms=s.server_latency_ms if s else None,
        output_tokens=s.output_tokens if s else None,
        http_status=s.http_status if s else None,
        error_class=err.class_ if err else None,
        error=err.message if err else ("not measured" if s is None else None),
        request_id=s.request_id if s else None,
    )


def check_summary(rows: list[ProviderCheck], skipped: list[str]) -> str:
    parts = []
    for r in rows:
        if r.status == "ok" and r.ttft_ms is not None and r.total_ms is not None:
            parts.append(f"{r.label} TTFT {r.ttft_ms:.0f} ms, total {r.total_ms:.0f} ms")
        else:
            parts.append(f"{r.label} failed ({r.error_class}: {r.error})")
    text = "; ".join(parts) + " (one request each, fresh connection)"
    if skipped:
        text += f"; skipped {', '.join(skipped)}: no credentials"
    return text


OPTIONS = LatencyCheckOptions
RESULT = "sre_latency.tools.latency_check:LatencyCheckResult"
run = latency_check
