"""The ``benchmark`` tool: measure streamed requests to one or more targets and save the run.

::

    handle = await start_benchmark(opts, store, on_sample)   # checked, journal open, measuring
    run = await handle.wait()          # or handle.cancel(): every finished sample is saved
    result = benchmark_result(run, handle.location, *handle.progress())
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, field_validator

from sre_latency.core.contract import RunConfig, RunKind, Sample
from sre_latency.probe.handle import RunHandle
from sre_latency.store import RunStore
from sre_latency.tools.benchmark_result import (
    BenchmarkResult,
    TargetRow,
    benchmark_result,
    headline_comparisons,
    one_line_summary,
    target_rows,
)
from sre_latency.tools.options import Face, split_list
from sre_latency.tools.probe_options import ProbeOptions, run_output
from sre_latency.tools.store_option import store_for

if TYPE_CHECKING:
    from sre_latency.tools.load import LoadHooks

OnSample = Callable[[str, Sample, int, int], None]  # label, sample, finished, planned


DESCRIPTION = """\
Measure the latency of streamed Claude requests: time to first token (TTFT), total time,
inter-token latency and output tokens/s per target (provider × model), with providers
interleaved, warm-up discarded, no retries, and paired comparisons with 95 % CIs. Use it for
figures worth quoting ("is Bedrock slower than the direct API?"); latency_check is the
one-request quick look. COSTS API CREDITS: n × targets real requests plus the discarded
warm-up (warmup rounds, and at least one request per concurrent worker), unless emulate=true.
Saves the run (run_id, path) for grade, compare and report. Over MCP, one
progress notification per finished request; a run longer than max_seconds answers with what
finished and goes on in the background."""
EMULATE_DEFAULT_PROVIDERS = ("anthropic", "openai", "bedrock")
DEFAULT_PROVIDERS = ("anthropic",)


class BenchmarkOptions(ProbeOptions):
    """Every knob of a benchmark run."""

    providers: Annotated[list[str], Face(metavar="LIST")] = Field(
        default_factory=list,
        description="providers to measure, comma-separated: anthropic, bedrock, openai (an "
        "OpenAI-compatible gateway at OPENAI_BASE_URL), or all (default anthropic; with "
        "emulate, all three)",
    )
    n: Annotated[int, Face(flags=("-n",), agent_le=500)] = Field(
        20, ge=1, le=1_000_000, description="measured requests per target (warm-up excluded)"
    )
    concurrency: Annotated[int, Face(agent_le=64)] = Field(
        1, ge=1, le=4096, description="requests in flight at once"
    )
    warmup: Annotated[int, Face(agent_le=20)] = Field(
        2,
        ge=0,
        le=1000,
        description="discarded warm-up requests per target, sent first (real requests; with "
        "concurrency C, at least C per origin, so every worker's connection is open)",
    )
    cold: bool = Field(
        False, description="open a fresh connection for every request (DNS, TCP, TLS each time)"
    )
    seed: int | None = Field(None, description="seed of the interleaving order (default: drawn)")
    output: Annotated[str | None, Face(metavar="FILE")] = Field(
        None,
        description="where to save the run file (CLI: a path; MCP: a new file name under the "
        "results root's runs/ folder); default <run_id>.json in the results root",
    )
    bedrock_guardrail: Annotated[str | None, Face(metavar="ID:VERSION")] = Field(
        None, description="also measure Bedrock with this guardrail (target bedrock+guardrail)"
    )
    bedrock_latency: Annotated[str | None, Face(metavar="optimized")] = Field(
        None,
        description="optimized: also measure Bedrock's latency-optimized inference (target "
        "bedrock+optimized)",
    )
    rate: Annotated[float | None, Face(metavar="REQ/S", agent_le=1000)] = Field(
        None, gt=0, le=100_000,
        description="open loop: requests per second per target, sent at times planned before "
        "the clock starts, whatever the server does (default: a closed loop of concurrency "
        "workers); concurrency > 1 then caps the requests in flight",
    )  # fmt: skip
    arrival: str = Field(
        "poisson",
        description="with rate: the arrival process, seeded: constant, poisson, or "
        "gamma[:smoothness] (gaps with a coefficient of variation of 1/√smoothness; default 4)",
    )
    duration: Annotated[str | float | None, Face(metavar="TIME")] = Field(
        None,
        description="measure for this long instead of -n requests per target, e.g. 90s, 5m, "
        "1h (a closed loop sends until it ends; an open loop sends the arrivals planned in it)",
    )
    sweep: Annotated[str | None, Face(metavar="NAME=V1,V2,…")] = Field(
        None,
        description="one step per value, each with its own warm-up, into one run file: "
        "rate=1,2,4,8 (requests/s per target) or concurrency=1,4,16,64; each step measures "
        "-n requests per target, or for --duration",
    )
    watch_pid: Annotated[list[int], Face(repeat=True, metavar="PID", agent_max_length=16)] = Field(
        default_factory=list,
        description="also sample this process and its children every second (CPU, memory, "
        "threads, open files, I/O, context switches) into the run's time series, e.g. the "
        "gateway under test; repeatable",
    )
    watch_cmd: Annotated[
        str | None,
        Face(metavar="COMMAND", only="cli",
             why_only="it starts a program; a model calling a tool must not run commands"),
    ] = Field(
        None,
        description="start this program (e.g. the gateway under test) before the warm-up, wait "
        "until it listens on the targets' ports, sample it like --watch-pid, stop it after",
    )  # fmt: skip
    workers: Annotated[int | None, Face(agent_le=16)] = Field(
        None, ge=1, le=256,
        description="client processes that measure (default: as many as the load needs, at "
        "most one per core: more than one past 128 streams or 150 requests/s)",
    )  # fmt: skip

    @field_validator("providers", mode="before")
    @classmethod
    def _providers(cls, value: object) -> list[str]:
        return split_list(value, "provider: choose from anthropic, bedrock, openai or all")  # type: ignore[arg-type]

    @field_validator("bedrock_latency")
    @classmethod
    def _latency(cls, value: str | None) -> str | None:
        if value not in (None, "standard", "optimized"):
            raise ValueError(f"must be optimized or standard, not {value!r}")
        return value


def run_config(opts: BenchmarkOptions, providers: list[str], transport: str) -> RunConfig:
    """Every knob of the run, as the run file records it."""
    from sre_latency.tools.emulation import emulator_overrides
    from sre_latency.tools.load import parse_duration

    return RunConfig(
        providers=providers,
        models=[*opts.model, *opts.model_id],
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
        emulator=emulator_overrides(opts) or None,
        rate_per_s=opts.rate,
        arrival=opts.arrival if opts.rate is not None or opts.sweep else None,
        duration_s=parse_duration(opts.duration) if opts.duration is not None else None,
        sweep=opts.sweep,
        watched=len(opts.watch_pid) + (1 if opts.watch_cmd else 0),
    )


async def start_benchmark(
    opts: BenchmarkOptions,
    on_sample: OnSample | None = None,
    *,
    store: RunStore | None = None,
    kind: RunKind = "benchmark",
    confined: bool = False,
    steps: LoadHooks | None = None,
) -> RunHandle:
    """Check everything, open the run's journal, and start measuring in the background.

    Raises ConfigError/CredentialsError (one sentence) before anything is sent or written.
    ``confined`` (an MCP call): ``output`` is a new file name under the results root.
    ``steps`` lets another tool (``capacity``) decide the steps and add to the run file.
    """
    from sre_latency.probe.targets import parse_providers
    from sre_latency.tools.emulation import emulator_overrides, start_emulator
    from sre_latency.tools.load import check_load

    store = store_for(opts, store)
    output = run_output(store, opts.output, confined=confined)
    check_load(opts)
    if opts.seed is None:  # a drawn seed is recorded, so the interleaving can be replayed
        opts = opts.model_copy(update={"seed": secrets.randbelow(2**31)})
    overrides = emulator_overrides(opts)
    providers = parse_providers(
        opts.providers, EMULATE_DEFAULT_PROVIDERS if opts.emulate else DEFAULT_PROVIDERS
    )
    emulator = start_emulator(overrides) if opts.emulate else None
    try:
        return await _start(
            opts, providers, emulator, store, output, kind, confined, on_sample, steps
        )
    except BaseException:
        if emulator is not None:
            emulator.stop()
        raise


async def _start(opts, providers, emulator, store, output, kind, confined, on_sample,
                 hooks: LoadHooks | None) -> RunHandle:  # fmt: skip
    from sre_latency.probe.session import RunSession
    from sre_latency.probe.transport import choose_transport
    from sre_latency.tools.load import Watching, engine_kit, step_specs

    kit = engine_kit(opts, providers, emulator)
    engine = kit.measure(step_specs(opts), hooks.plan if hooks else None)
    config = run_config(opts, providers, choose_transport(opts.transport, opts.cold))
    if hooks is not None:
        config = config.model_copy(update=hooks.config)
    watching = Watching(opts.watch_pid, opts.watch_cmd)
    await watching.prepare([t.base_url for t in kit.targets])
    try:
        session = RunSession.create(
            kind, config, engine, store, output=output, confined=confined, on_sample=on_sample
        )
        watching.start(session.run)
    except BaseException:
        watching.stop()
        raise
    session.finalizers.append(watching.finalize)
    if hasattr(engine, "steps"):
        session.finalizers.append(lambda run: run.steps.extend(engine.steps))
    if hooks is not None and hooks.finalize is not None:
        session.finalizers.append(hooks.finalize)

    def on_exit() -> None:
        watching.stop()
        if emulator is not None:
            emulator.stop()

    return session.start(on_exit=on_exit)


async def run_benchmark(
    opts: BenchmarkOptions, on_sample: OnSample | None = None, *, store: RunStore | None = None
) -> BenchmarkResult:
    """Run a whole benchmark and return its result (the run is saved either way)."""
    handle = await start_benchmark(opts, on_sample, store=store)
    run = await handle.wait()
    return benchmark_result(run, handle.location, *handle.progress())


__all__ = [
    "BenchmarkOptions",
    "BenchmarkResult",
    "TargetRow",
    "benchmark_result",
    "headline_comparisons",
    "one_line_summary",
    "run_benchmark",
    "start_benchmark",
    "target_rows",
]
OPTIONS = BenchmarkOptions
RESULT = "sre_latency.tools.benchmark:BenchmarkResult"
start = start_benchmark
finish = benchmark_result


def planned_per_target(opts) -> int:
    """Measured requests per target (for "bedrock 12/40" progress messages)."""
    return opts.n
