"""The ``benchmark`` tool: measure streamed requests to one or more targets and save the run.

A plain async API that the CLI and the MCP server both wrap (no MCP, no rich here)::

    handle = await start_benchmark(opts, on_sample)   # credentials checked, run file planned
    handle.progress()  # (finished, planned)
    run = await handle.wait()   # or handle.cancel(): keeps and saves every finished sample
    result = await run_benchmark(opts)   # both in one, returns a BenchmarkResult

Every finished sample is appended to the run's journal at once; the run file is written
atomically at the end (``complete: true``), or on cancellation (``complete: false``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sre_latency.core.contract import ClientHealth, Run, RunConfig, RunKind, Sample
from sre_latency.errors import ConfigError
from sre_latency.probe.providers.base import ProbeSettings, Target

OnSample = Callable[[str, Sample, int, int], None]  # label, sample, finished, planned

EMULATE_DEFAULT_PROVIDERS = ("anthropic", "openai", "bedrock")
DEFAULT_PROVIDERS = ("anthropic",)


class BenchmarkOptions(BaseModel):
    """Every knob of a benchmark run; the CLI flags and MCP parameters have the same names."""

    model_config = ConfigDict(extra="forbid")

    providers: list[str] = Field(
        default_factory=list
    )  # empty: anthropic (+openai, bedrock emulated)
    models: list[str] = Field(default_factory=list)  # empty: haiku-4.5
    n: int = Field(20, ge=1, le=1_000_000)
    prompt_size: Literal["small", "medium", "large"] = "small"
    max_tokens: int = Field(64, ge=1, le=200_000)
    concurrency: int = Field(1, ge=1, le=4096)
    warmup: int = Field(2, ge=0, le=1000)
    timeout_s: float = Field(60.0, gt=0, le=3600)
    first_token_timeout_s: float | None = Field(None, gt=0, le=3600)
    connect_timeout_s: float = Field(10.0, gt=0, le=600)
    cold: bool = False
    emulate: bool = False
    seed: int | None = None
    output: Path | None = None
    transport: Literal["auto", "aiohttp", "httpx2"] = "auto"
    bedrock_api: Literal["invoke", "converse"] = "invoke"
    bedrock_geo: str = "us"
    bedrock_guardrail: str | None = None
    bedrock_latency: Literal["standard", "optimized"] | None = None
    emulator: dict[str, Any] = Field(default_factory=dict)  # EmulatorProfile overrides


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


def target_rows(run: Run) -> list[TargetRow]:
    rows = []
    for label, result in run.providers.items():
        s = result.summary
        rows.append(
            TargetRow(
                label=label,
                provider=result.provider,
                model=result.model,
                n=s.n,
                ok=s.ok,
                error_rate=s.error_rate,
                ttft_p50_ms=s.ttft_ms.p50 if s.ttft_ms else None,
                ttft_p99_ms=s.ttft_ms.p99 if s.ttft_ms else None,
                total_p50_ms=s.total_ms.p50 if s.total_ms else None,
                total_p99_ms=s.total_ms.p99 if s.total_ms else None,
                itl_mean_ms=s.itl_ms.mean if s.itl_ms else None,
                output_tps_mean=s.output_tps.mean if s.output_tps else None,
                errors_by_class=dict(s.errors_by_class),
            )
        )
    return rows


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


class RunHandle:
    """A benchmark in progress on the running event loop."""

    def __init__(self, session, task: asyncio.Task[Run]):
        self._session = session
        self._task = task
        self.run_id = session.run.run_id
        self.path = session.path

    def snapshot(self) -> Run:
        """The run so far, with summaries (what a status query shows)."""
        return self._session.snapshot()

    def progress(self) -> tuple[int, int]:
        return self._session.engine.finished, self._session.engine.planned

    @property
    def done(self) -> bool:
        return self._task.done()

    async def wait(self) -> Run:
        """The saved run (also after ``cancel()``: partial, ``complete: false``). If the waiter
        itself is cancelled, the run is cancelled and saved first, then the waiter re-raises."""
        try:
            return await asyncio.shield(self._task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._task.done() and (current is None or not current.cancelling()):
                return self._session.run  # the run was cancelled (cancel()); it is saved
            if not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task})
            raise

    def cancel(self) -> None:
        """Stop at once: in-flight requests are dropped, finished samples are saved."""
        self._task.cancel()

    def result(self) -> BenchmarkResult:
        return benchmark_result(self._session.run, self.path, *self.progress())


def resolve_providers(opts: BenchmarkOptions) -> list[str]:
    from sre_latency.probe.targets import parse_providers

    default = EMULATE_DEFAULT_PROVIDERS if opts.emulate else DEFAULT_PROVIDERS
    return parse_providers(opts.providers, default)


def build_run_targets(opts: BenchmarkOptions, env: dict[str, str]) -> list[Target]:
    from sre_latency.probe.targets import BedrockVariants, build_targets, split_list

    return build_targets(
        resolve_providers(opts),
        split_list(opts.models),
        env,
        geo=opts.bedrock_geo,
        bedrock=BedrockVariants(opts.bedrock_guardrail, opts.bedrock_latency),
    )


def run_config(opts: BenchmarkOptions, providers: list[str], transport: str) -> RunConfig:
    return RunConfig(
        providers=providers,
        models=opts.models,
        n=opts.n,
        prompt_size=opts.prompt_size,
        max_tokens=opts.max_tokens,
        concurrency=opts.concurrency,
        warmup=opts.warmup,
        timeout_s=opts.timeout_s,
        cold=opts.cold,
        emulate=opts.emulate,
        seed=opts.seed,
        first_token_timeout_s=opts.first_token_timeout_s or opts.timeout_s,
        connect_timeout_s=opts.connect_timeout_s,
        transport=transport,
        bedrock_api=opts.bedrock_api,
        bedrock_geo=opts.bedrock_geo,
        bedrock_guardrail=opts.bedrock_guardrail,
        bedrock_latency=opts.bedrock_latency,
        emulator=opts.emulator or None,
    )


async def start_benchmark(
    opts: BenchmarkOptions, on_sample: OnSample | None = None, *, kind: RunKind = "benchmark"
) -> RunHandle:
    """Check everything, create the run and its journal, and start measuring in the background.

    Raises ConfigError/CredentialsError (one sentence) before anything is sent or written.
    """
    from sre_latency.probe.engine import Deadlines, ProbeEngine
    from sre_latency.probe.prompts import make_prompt
    from sre_latency.probe.session import RunSession
    from sre_latency.probe.transport import choose_transport

    if opts.output is not None and opts.output.suffix == ".jsonl":
        raise ConfigError("--output must name the run file (.json); its journal goes beside it.")
    if opts.seed is None:  # a drawn seed is recorded, so the interleaving can be replayed
        opts = opts.model_copy(update={"seed": secrets.randbelow(2**31)})
    emulator = start_emulator(opts.emulator) if opts.emulate else None
    try:
        env = dict(os.environ)
        if emulator is not None:
            from sre_latency.probe.targets import emulator_env

            env = emulator_env(env, emulator.base_url, emulator.emulator.profile)
        targets = build_run_targets(opts, env)
        settings = ProbeSettings(
            env=env,
            timeout_s=opts.timeout_s,
            emulate=opts.emulate,
            bedrock_api=opts.bedrock_api,
            bedrock_geo=opts.bedrock_geo,
            bedrock_guardrail=opts.bedrock_guardrail,
            bedrock_latency=opts.bedrock_latency,
        )
        engine = ProbeEngine(
            targets,
            settings,
            make_prompt(opts.prompt_size),
            n=opts.n,
            max_tokens=opts.max_tokens,
            warmup=opts.warmup,
            concurrency=opts.concurrency,
            cold=opts.cold,
            seed=opts.seed,
            deadlines=Deadlines(
                connect_s=opts.connect_timeout_s,
                first_token_s=opts.first_token_timeout_s or opts.timeout_s,
                total_s=opts.timeout_s,
            ),
            transport=opts.transport,
        )
        config = run_config(
            opts, resolve_providers(opts), choose_transport(opts.transport, opts.cold)
        )
        session = RunSession.create(kind, config, engine, opts.output, on_sample)
    except BaseException:
        if emulator is not None:
            emulator.stop()
        raise
    task = asyncio.get_running_loop().create_task(session.execute(on_exit=_stopper(emulator)))
    return RunHandle(session, task)


def _stopper(emulator) -> Callable[[], None] | None:
    return emulator.stop if emulator is not None else None


# ``--emulate`` on the CLI or MCP serves a quick but realistic-looking profile, so a first
# ``benchmark --emulate -n 20`` takes seconds, not a minute; --emulator-* flags override it.
EMULATE_PROFILE: dict[str, Any] = {"ttft_ms": 100.0, "itl_ms": 4.0, "output_tokens": 64}


def start_emulator(overrides: dict[str, Any]):
    """The in-process emulator for ``--emulate``, on a free 127.0.0.1 port."""
    from sre_latency.emulator import EmulatorProfile, run_emulator_in_thread

    profile = EmulatorProfile.build(**{**EMULATE_PROFILE, "port": 0, **overrides})
    return run_emulator_in_thread(profile)


async def run_benchmark(
    opts: BenchmarkOptions, on_sample: OnSample | None = None
) -> BenchmarkResult:
    """Run a whole benchmark and return its result (the run is saved either way)."""
    handle = await start_benchmark(opts, on_sample)
    run = await handle.wait()
    return benchmark_result(run, handle.path, *handle.progress())


def benchmark_result(run: Run, path: Path, finished: int, planned: int) -> BenchmarkResult:
    rows = target_rows(run)
    comparisons = headline_comparisons(run)
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
        summary=one_line_summary(run, rows, comparisons, finished, planned),
    )


def headline_comparisons(run: Run) -> list[str]:
    """TTFT and total time of every target against the first one, and of each Bedrock variant
    against plain Bedrock: the sentences a person asks for (the run file keeps them all)."""
    labels = list(run.providers)
    if not labels:
        return []
    base = labels[0]
    return [
        c.statement
        for c in run.comparisons
        if c.metric in ("ttft_ms", "total_ms")
        and (c.a == base or c.b.startswith(f"{c.a.split('/')[0]}+"))
    ]


def one_line_summary(
    run: Run, rows: list[TargetRow], comparisons: list[str], finished: int, planned: int
) -> str:
    """What a person would say: TTFT p50 per target, errors, the first comparison, caveats."""
    parts = []
    for row in rows:
        ttft = f"TTFT p50 {row.ttft_p50_ms:.0f} ms" if row.ttft_p50_ms is not None else "no TTFT"
        errors = f", {row.error_rate:.0%} errors" if row.n and row.error_rate else ""
        parts.append(f"{row.label} {ttft} (n={row.ok}{errors})")
    text = "; ".join(parts) if parts else "no targets"
    if comparisons:
        text += f"; {comparisons[0]}"
    if not run.complete:
        text += f"; stopped early after {finished}/{planned} requests"
    if not run.valid:
        text += "; NOT VALID: the client was saturated"
    return text
