"""What a benchmark found, as the CLI table, ``--json`` and the MCP result read it.

Per target: the headline latencies, the rates (``analysis.throughput``: requests, output tokens
and good requests per second), connection set-up when each request opened its own connection,
and one example message per error class. For the run: its conditions (emulated or real,
concurrency, prompt, stack, hosts), the overall rates, and the paired comparisons a person asks
for first: like-for-like (the same model on different providers), then the same provider on
different models, then each Bedrock variant against plain Bedrock.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from sre_latency.analysis.throughput import Rates, Requests, describe, rates, requests_from_samples
from sre_latency.analysis.throughput import span_of as _span_of
from sre_latency.core.conditions import Conditions, conditions_of, endpoint_host
from sre_latency.core.contract import ClientHealth, ProviderResult, Run
from sre_latency.core.paired import statement
from sre_latency.core.redact import redact
from sre_latency.core.slo import DEFAULT_GOODPUT

HEADLINE_PAIRED = ("ttft_ms", "total_ms")


class ErrorExample(BaseModel):
    """One failed request of one error class on one target, as it was reported."""

    error_class: str
    count: int = Field(description="failed requests of this class on this target")
    endpoint_host: str
    status: int | None = None
    message: str


class TargetRow(BaseModel):
    """One target's headline figures (milliseconds, tokens per second)."""

    label: str
    provider: str
    model: str
    n: int
    ok: int
    error_rate: float
    ttft_p50_ms: float | None
    ttft_p99_ms: float | None
    total_p50_ms: float | None
    total_p99_ms: float | None
    itl_mean_ms: float | None
    output_tps_mean: float | None
    errors_by_class: dict[str, int]
    endpoint_host: str = ""
    request_rate_per_s: float | None = None
    output_tokens_per_s: float | None = Field(None, description="across this target's streams")
    goodput_per_s: float | None = None
    dns_p50_ms: float | None = None
    connect_p50_ms: float | None = None
    tls_p50_ms: float | None = None
    error_examples: list[ErrorExample] = Field(default_factory=list)
    buffered: int = 0  # successful samples whose stream a server or proxy buffered


class BenchmarkResult(BaseModel):
    """What a benchmark found, readable as bare JSON."""

    run_id: str
    path: str
    complete: bool
    valid: bool
    validity_notes: list[str]
    finished: int
    planned: int
    targets: list[TargetRow]
    comparisons: list[str]
    client_health: ClientHealth | None = None
    summary: str
    emulated: bool = Field(False, description="measured against the built-in emulator")
    conditions: Conditions | None = None
    cold: bool = False
    throughput: Rates | None = Field(None, description="the whole run, every target together")
    goodput_slo: dict[str, float] = Field(
        default_factory=dict, description="what a good request meets (≤, ≥ for output_tps)"
    )


def _p50(dist) -> float | None:
    return dist.p50 if dist is not None else None


def _examples(result: ProviderResult) -> list[ErrorExample]:
    first: dict[str, ErrorExample] = {}
    for s in result.samples:
        if s.error is None:
            continue
        cls = s.error.class_
        if cls in first:
            first[cls].count += 1
            continue
        first[cls] = ErrorExample(
            error_class=cls, count=1, endpoint_host=endpoint_host(result.endpoint),
            status=s.error.status, message=redact(s.error.message) or "(no message)",
        )  # fmt: skip
    return list(first.values())


def target_rows(run: Run, per_target: dict[str, Rates] | None = None) -> list[TargetRow]:
    rows = []
    for label, result in run.providers.items():
        s = result.summary
        r = (per_target or {}).get(label)
        rows.append(
            TargetRow(
                label=label, provider=result.provider, model=result.model, n=s.n, ok=s.ok,
                error_rate=s.error_rate, ttft_p50_ms=_p50(s.ttft_ms),
                ttft_p99_ms=s.ttft_ms.p99 if s.ttft_ms else None, total_p50_ms=_p50(s.total_ms),
                total_p99_ms=s.total_ms.p99 if s.total_ms else None,
                itl_mean_ms=s.itl_ms.mean if s.itl_ms else None,
                output_tps_mean=s.output_tps.mean if s.output_tps else None,
                errors_by_class=dict(s.errors_by_class), buffered=s.buffered,
                endpoint_host=endpoint_host(result.endpoint),
                request_rate_per_s=r.request_rate_per_s if r else None,
                output_tokens_per_s=r.output_tokens_per_s if r else None,
                goodput_per_s=r.goodput_per_s if r else None,
                dns_p50_ms=_p50(s.dns_ms), connect_p50_ms=_p50(s.connect_ms),
                tls_p50_ms=_p50(s.tls_ms), error_examples=_examples(result),
            )
        )  # fmt: skip
    return rows


def run_rates(run: Run, slo: dict[str, float]) -> tuple[Rates, dict[str, Rates]]:
    """Overall and per-target rates, every one over the run's span (so they add up)."""
    parts = {label: requests_from_samples(p.samples, slo) for label, p in run.providers.items()}
    everything = Requests.join(parts.values())
    span = _span_of(everything)
    return rates(everything, span), {label: rates(r, span) for label, r in parts.items()}


def rates_sentence(r: Rates) -> str:
    """``"2.86 req/s, 710 output tok/s, goodput 2.86 req/s (n=20 over 7.00 s)"``."""
    return describe(r)


def run_conditions(run: Run) -> Conditions:
    tokens = sorted(
        s.input_tokens for p in run.providers.values() for s in p.samples
        if s.error is None and s.input_tokens is not None
    )  # fmt: skip
    endpoints = {label: p.endpoint for label, p in run.providers.items()}
    median = tokens[len(tokens) // 2] if tokens else None
    return conditions_of(run.config, run.environment, endpoints, median)


def benchmark_result(run: Run, path: str | Path, finished: int, planned: int) -> BenchmarkResult:
    slo = dict(DEFAULT_GOODPUT)
    overall, per_target = run_rates(run, slo)
    rows = target_rows(run, per_target)
    comparisons = headline_comparisons(run)
    conditions = run_conditions(run)
    return BenchmarkResult(
        run_id=run.run_id,
        path=str(path),
        complete=run.complete,
        valid=run.valid,
        validity_notes=run.validity_notes,
        finished=finished,
        planned=planned,
        targets=rows,
        comparisons=comparisons,
        client_health=run.client_health,
        summary=one_line_summary(run, rows, comparisons, finished, planned, overall),
        emulated=conditions.emulated,
        conditions=conditions,
        cold=run.config.cold,
        throughput=overall,
        goodput_slo=slo,
    )


def _parts(label: str) -> tuple[str, str, str]:
    """``bedrock+guardrail/haiku-4.5`` → (``bedrock``, ``bedrock+guardrail``, ``haiku-4.5``)."""
    head, _, model = label.partition("/")
    return head.partition("+")[0], head, model


def _group(a: str, b: str, first: dict[str, str]) -> int | None:
    """0: the same model on another provider (against the first provider measuring it);
    1: the same provider on another model (against its first model); 2: a Bedrock variant."""
    (pa, ha, ma), (pb, hb, mb) = _parts(a), _parts(b)
    if ma == mb and ha != hb:
        if pa == pb and hb.startswith(f"{ha}+"):
            return 2
        return 0 if pa != pb and first.get(f"model:{ma}") == ha else None
    if ha == hb and ma != mb:
        return 1 if first.get(f"head:{ha}") == ma else None
    return None


def headline_comparisons(run: Run) -> list[str]:
    """TTFT and total time, like-for-like first (see the module docstring); each sentence
    names the statistic it computed, the median of per-round paired differences."""
    first: dict[str, str] = {}
    for label in run.providers:
        _, head, model = _parts(label)
        first.setdefault(f"model:{model}", head)
        first.setdefault(f"head:{head}", model)
    groups: list[list[str]] = [[], [], []]
    for c in run.comparisons:
        if c.metric not in HEADLINE_PAIRED or c.delta_p50_ms is None or c.a not in run.providers:
            continue
        group = _group(c.a, c.b, first)
        if group is None or c.ci95_low is None or c.ci95_high is None:
            continue
        dist = getattr(run.providers[c.a].summary, c.metric)
        reference = dist.p50 if dist is not None else None
        delta, lo, hi, n = c.delta_p50_ms, c.ci95_low, c.ci95_high, c.paired_n
        groups[group].append(statement(c.a, c.b, c.metric, delta, lo, hi, n, reference))
    return [s for g in groups for s in g]


def one_line_summary(
    run: Run,
    rows: list[TargetRow],
    comparisons: list[str],
    finished: int,
    planned: int,
    overall: Rates | None = None,
) -> str:
    """What a person would say: TTFT p50 per target, errors, rates, a comparison, caveats."""
    parts = []
    for row in rows:
        ttft = f"TTFT p50 {row.ttft_p50_ms:.0f} ms" if row.ttft_p50_ms is not None else "no TTFT"
        errors = f", {row.error_rate:.0%} errors" if row.n and row.error_rate else ""
        buffered = ", stream buffered by the server or a proxy" if row.buffered else ""
        parts.append(f"{row.label} {ttft} (n={row.ok}{errors}{buffered})")
    text = ("EMULATED: " if run.config.emulate else "") + ("; ".join(parts) or "no targets")
    if overall is not None and overall.request_rate_per_s is not None:
        text += f"; overall {describe(overall)}"
    if comparisons:
        text += f"; {comparisons[0]}"
    late = run.client_health.late_sends if run.client_health else None
    if late:
        text += f"; schedule_lag: {late} planned sends left out, too late to keep the plan"
    if not run.complete:
        text += f"; stopped early after {finished}/{planned} requests"
    if not run.valid:
        text += "; NOT VALID: the client was saturated"
    return text
