"""The MCP stdio server: registers the sre-latency tools and resources, nothing else.

Each tool is a thin wrapper over a plain function in ``tools/`` (via ``mcp_options`` for the
parameters, ``mcp_paths`` for path safety and ``mcp_runs`` for runs that outlive a call).
Expected failures (``LatencyError``) become a ``ToolError`` with the same sentence; anything else
is logged to stderr by the SDK, and the model sees only "Error executing tool …".

Start-up costs little more than importing the MCP SDK: this module imports pydantic, typing and
light parts of the package only. Tool modules (numpy, HTTP clients, botocore) load inside the
call that needs them, and the tools themselves are built on the first listing (``mcp_lazy``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError

from sre_latency import __version__
from sre_latency.errors import LatencyError
from sre_latency.server.lazy import LazyOutputServer
from sre_latency.server.options import for_tool_caller
from sre_latency.server.params import (
    MEASURES,
    READ_ONLY,
    WRITES_REPORT,
    BedrockApi,
    BedrockGeo,
    BedrockGuardrail,
    BedrockLatency,
    BudgetModel,
    BudgetN,
    BudgetRun,
    CheckProvider,
    Cold,
    Concurrency,
    Emulate,
    EmulatorFaults,
    EmulatorMs,
    EmulatorTokens,
    FailBelow,
    FromTranscript,
    LastSessions,
    Latest,
    MaxSeconds,
    MaxTokens,
    Metrics,
    MinChangePct,
    Models,
    Output,
    PerTarget,
    PromptSize,
    Providers,
    ReportFormat,
    ReportOutput,
    RunRef,
    Runs,
    Seed,
    Session,
    Slo,
    Thresholds,
    TimeoutS,
    Warmup,
)
from sre_latency.server.runs import RunManager

RUN_STATUS = "sre_latency.tools.run_status:RunStatus"
INSTRUCTIONS = """\
sre-latency measures the latency of Claude models on the Anthropic API, AWS Bedrock and
OpenAI-compatible gateways, and where time goes inside Claude Code sessions. Measure first
(latency_check for a quick look, benchmark for figures worth quoting), then grade, compare or
report on the saved runs. benchmark, latency_check and latency_budget spend API credits unless
emulate=true. Long runs continue in the background after max_seconds; follow them with run_status.
"""


@contextlib.contextmanager
def _tool_errors() -> Iterator[None]:
    """An expected failure becomes a ToolError carrying its one-sentence explanation."""
    try:
        yield
    except LatencyError as exc:
        raise ToolError(for_tool_caller(str(exc))) from None


def _store():
    from sre_latency.store import RunStore

    return RunStore()  # read $SRE_LATENCY_HOME at each call


def build_server(log_level: str = "WARNING") -> MCPServer:
    """The sre-latency MCP server with every tool and resource registered."""
    manager = RunManager()

    @contextlib.asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[None]:
        try:
            yield
        finally:  # leaving: every run still going is stopped and saved with what it finished
            await manager.shutdown()

    server = LazyOutputServer(
        "sre-latency",
        title="sre-latency",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level=log_level,  # type: ignore[arg-type]
        lifespan=lifespan,
    )

    # ---- measuring -----------------------------------------------------------------------

    async def benchmark(
        ctx: Context,
        providers: Providers = None,
        model: Models = None,
        n: PerTarget = 20,
        prompt_size: PromptSize = "small",
        max_tokens: MaxTokens = 64,
        concurrency: Concurrency = 1,
        warmup: Warmup = 2,
        timeout_s: TimeoutS = 60.0,
        cold: Cold = False,
        emulate: Emulate = False,
        seed: Seed = None,
        output: Output = None,
        bedrock_api: BedrockApi = "invoke",
        bedrock_geo: BedrockGeo = "us",
        bedrock_guardrail: BedrockGuardrail = None,
        bedrock_latency: BedrockLatency = None,
        emulator_ttft_ms: EmulatorMs = None,
        emulator_itl_ms: EmulatorMs = None,
        emulator_output_tokens: EmulatorTokens = None,
        emulator_jitter_ms: EmulatorMs = None,
        emulator_fault: EmulatorFaults = None,
        max_seconds: MaxSeconds = 45.0,
    ):
        """Measure the latency of streamed Claude requests: time to first token (TTFT), total
        time, inter-token latency and output tokens/s per target (provider × model), with
        providers interleaved, warm-up discarded, no retries, and paired comparisons with 95 %
        CIs. Use it for figures worth quoting ("is Bedrock slower than the direct API?");
        latency_check is the one-request quick look. COSTS API CREDITS: n × targets real
        requests (plus warm-up), unless emulate=true. Sends one progress notification per
        finished request; saves the run (run_id, path) for grade, compare and report. A run
        longer than max_seconds answers with what finished and goes on in the background.
        """
        from sre_latency.server.options import benchmark_options
        from sre_latency.server.runs import ProgressTracker
        from sre_latency.tools.benchmark import start_benchmark

        with _tool_errors():
            manager.refuse_if_busy()
            opts = benchmark_options(
                providers=providers, model=model, n=n, prompt_size=prompt_size,
                max_tokens=max_tokens, concurrency=concurrency, warmup=warmup,
                timeout_s=timeout_s, cold=cold, emulate=emulate, seed=seed, output=output,
                bedrock_api=bedrock_api, bedrock_geo=bedrock_geo,
                bedrock_guardrail=bedrock_guardrail, bedrock_latency=bedrock_latency,
                emulator_ttft_ms=emulator_ttft_ms, emulator_itl_ms=emulator_itl_ms,
                emulator_output_tokens=emulator_output_tokens,
                emulator_jitter_ms=emulator_jitter_ms, emulator_fault=emulator_fault,
            )  # fmt: skip
            tracker = ProgressTracker(per_target_planned=n)
            handle = await start_benchmark(opts, on_sample=tracker)
            active = manager.adopt("benchmark", handle, tracker)
            return await manager.follow(active, ctx.report_progress, max_seconds)

    server.add_lazy_tool(benchmark, RUN_STATUS, MEASURES, title="Benchmark Claude latency")

    async def latency_check(
        provider: CheckProvider = "all",
        model: Models = None,
        max_tokens: MaxTokens = 64,
        prompt_size: PromptSize = "small",
        timeout_s: TimeoutS = 30.0,
        emulate: Emulate = False,
        bedrock_api: BedrockApi = "invoke",
        bedrock_geo: BedrockGeo = "us",
        emulator_ttft_ms: EmulatorMs = None,
        emulator_itl_ms: EmulatorMs = None,
        emulator_output_tokens: EmulatorTokens = None,
        emulator_fault: EmulatorFaults = None,
    ):
        """Quick look: is Claude slow right now? Sends ONE streamed request per provider on a
        fresh connection and reports TTFT, total time and connection set-up (DNS+TCP, TLS)
        apart. Use it first when someone says Claude feels slow; use benchmark for figures
        with percentiles. COSTS API CREDITS (one small request per provider) unless
        emulate=true. With provider=all, providers without credentials are skipped.
        """
        from sre_latency.server.options import latency_check_options
        from sre_latency.tools.latency_check import run_latency_check

        with _tool_errors():
            manager.refuse_if_busy()
            opts = latency_check_options(
                provider=provider, model=model, max_tokens=max_tokens, prompt_size=prompt_size,
                timeout_s=timeout_s, emulate=emulate, bedrock_api=bedrock_api,
                bedrock_geo=bedrock_geo, emulator_ttft_ms=emulator_ttft_ms,
                emulator_itl_ms=emulator_itl_ms, emulator_output_tokens=emulator_output_tokens,
                emulator_fault=emulator_fault,
            )  # fmt: skip
            return await run_latency_check(opts)

    server.add_lazy_tool(
        latency_check,
        "sre_latency.tools.latency_check:LatencyCheckResult",
        MEASURES,
        title="Quick latency check",
    )

    async def latency_budget(
        ctx: Context,
        run: BudgetRun = None,
        providers: Providers = None,
        model: BudgetModel = None,
        n: BudgetN = 20,
        max_tokens: MaxTokens = 64,
        warmup: Warmup = 2,
        timeout_s: TimeoutS = 60.0,
        emulate: Emulate = False,
        seed: Seed = None,
        output: Output = None,
        emulator_ttft_ms: EmulatorMs = None,
        emulator_itl_ms: EmulatorMs = None,
        emulator_output_tokens: EmulatorTokens = None,
        emulator_fault: EmulatorFaults = None,
        max_seconds: MaxSeconds = 45.0,
    ):
        """Where each millisecond of a request goes, per provider: DNS, TCP connect, TLS, server
        wait (request sent → headers), headers → first token, generation; warm (reused) and
        cold (fresh) connections side by side, with provider-vs-provider differences per phase
        and 95 % CIs; for Bedrock, server latency vs network overhead. Use it to explain WHY
        one path is slower. Measuring COSTS API CREDITS (2 × (n + warmup) requests per provider)
        unless emulate=true; with run, it analyses a saved run for free. One progress notification
        per finished request; max_seconds as for benchmark.
        """
        from sre_latency.server.runs import BudgetRunHandle, ProgressTracker, saved_budget

        with _tool_errors():
            if run is not None:
                measuring = [name for name, value in (("providers", providers), ("model", model),
                             ("emulate", emulate), ("output", output)) if value]  # fmt: skip
                if measuring:
                    raise ToolError(
                        f"{', '.join(measuring)} only apply when measuring, and run reads a "
                        "saved run: drop run to measure, or drop those to analyse the run."
                    )
                return saved_budget(_store(), run)
            from sre_latency.server.options import latency_budget_options

            manager.refuse_if_busy()
            opts = latency_budget_options(
                providers=providers, model=model, n=n, max_tokens=max_tokens, warmup=warmup,
                timeout_s=timeout_s, emulate=emulate, seed=seed, output=output,
                emulator_ttft_ms=emulator_ttft_ms, emulator_itl_ms=emulator_itl_ms,
                emulator_output_tokens=emulator_output_tokens, emulator_fault=emulator_fault,
            )  # fmt: skip
            tracker = ProgressTracker(per_target_planned=2 * n)
            active = manager.adopt("latency_budget", BudgetRunHandle(opts, tracker), tracker)
            return await manager.follow(active, ctx.report_progress, max_seconds)

    server.add_lazy_tool(latency_budget, RUN_STATUS, MEASURES, title="Latency budget per phase")

    def run_status(run: RunRef = None):
        """Progress of a measuring run that goes on in the background (after benchmark or
        latency_budget answered at max_seconds), and its summary once finished; also works
        for any saved run. Omit run for the newest. Costs nothing.
        """
        from sre_latency.server.runs import run_status as status_of

        with _tool_errors():
            return status_of(manager, _store(), run)

    server.add_lazy_tool(run_status, RUN_STATUS, READ_ONLY, title="Status of a run")

    # ---- analysis of saved runs ----------------------------------------------------------

    def grade(
        run: RunRef = None,
        slo: Slo = None,
        threshold: Thresholds = None,
        fail_below: FailBelow = None,
    ):
        """Grade a saved run A–F per provider against latency SLOs (TTFT p50/p99, total p50,
        output throughput, error rate), with k6-style thresholds and goodput (the share of
        requests meeting every SLO). Use after benchmark to judge whether the figures are good
        enough. Reads a run file only; costs nothing.
        """
        from sre_latency.analysis.grade import grade as grade_run
        from sre_latency.store.resolve import resolve_file_under_root, resolve_run

        with _tool_errors():
            store = _store()
            path = resolve_run(store, run)
            slo_path = resolve_file_under_root(store, slo) if slo else None
            return grade_run(path, slo=slo_path, thresholds=threshold, fail_below=fail_below)

    server.add_lazy_tool(
        grade, "sre_latency.analysis.grade:GradeResult", READ_ONLY, title="Grade a run against SLOs"
    )

    def compare(
        runs: Runs = None,
        latest: Latest = None,
        metrics: Metrics = None,
        min_change_pct: MinChangePct = 5.0,
    ):
        """Compare saved runs side by side per provider: p50/p90/p99/mean and error rate, and
        each later run's change against the first with a 95 % bootstrap CI. A regression is
        flagged only when the CI excludes zero and the change exceeds min_change_pct. Use it to
        answer "did it get slower since last week?". Reads run files only; costs nothing.
        """
        from sre_latency.analysis.compare import compare as compare_runs
        from sre_latency.store.resolve import resolve_run

        with _tool_errors():
            if not runs and latest is None:
                raise ToolError("Nothing to compare: pass runs (two or more run ids) or latest=2.")
            store = _store()
            paths = [resolve_run(store, r) for r in runs or []]
            return compare_runs(
                paths, latest=latest, metrics=metrics, min_change_pct=min_change_pct
            )

    server.add_lazy_tool(
        compare, "sre_latency.analysis.compare:CompareResult", READ_ONLY, title="Compare runs"
    )

    def report(
        run: RunRef = None,
        format: ReportFormat = "md",
        output: ReportOutput = None,
        slo: Slo = None,
    ):
        """Analyse a saved run like a performance report: status line and main finding, a table
        per provider (n, success rate, mean ± sd, p50/p90/p99 of TTFT, total and throughput),
        errors by class, throughput over time, consistency, tiers, and recommendations that
        cite their figures. With output, also writes it as Markdown, HTML (with plots), JSON or
        CSV under the results root. Reads a run file; costs nothing.
        """
        from sre_latency.analysis.report.build import report as report_run
        from sre_latency.store.resolve import report_output, resolve_file_under_root, resolve_run

        with _tool_errors():
            store = _store()
            path = resolve_run(store, run)
            slo_path = resolve_file_under_root(store, slo) if slo else None
            out = report_output(store, output, format) if output else None
            return report_run(path, format=format, output=out, slo=slo_path)

    server.add_lazy_tool(
        report,
        "sre_latency.analysis.report.build:ReportResult",
        WRITES_REPORT,
        title="Latency report",
    )

    # ---- Claude Code sessions ------------------------------------------------------------

    def tool_timings(
        session: Session = None,
        last: LastSessions = None,
        from_transcript: FromTranscript = None,
    ):
        """Where the time went in a Claude Code session: model time vs Bash, MCP (per server),
        Agent and built-in tools (Read, Edit, Grep…), with calls, total, p50/p90/p99 and the
        slowest calls; permission waits and subagents apart. Use it when someone asks why
        Claude Code feels slow. Reads the local hook log (or a transcript); costs nothing.
        """
        from sre_latency.store.resolve import resolve_transcript
        from sre_latency.tools.tool_timings import tool_timings as timings

        with _tool_errors():
            transcript = resolve_transcript(from_transcript) if from_transcript else None
            return timings(session=session, last=last, from_transcript=transcript)

    server.add_lazy_tool(
        tool_timings,
        "sre_latency.tools.tool_timings:ToolTimingsResult",
        READ_ONLY,
        title="Claude Code session timings",
    )

    # ---- resources -----------------------------------------------------------------------

    @server.resource(
        "sre-latency://runs",
        name="runs",
        description="Recent runs under the results root, newest first, one line each.",
        mime_type="text/plain",
    )
    def runs_resource() -> str:
        from sre_latency.server.runs import runs_listing

        return runs_listing(manager, _store())

    @server.resource(
        "sre-latency://runs/{run_id}",
        name="run",
        description="One run: its progress while running, its figures once finished (JSON).",
        mime_type="application/json",
    )
    def run_resource(run_id: str) -> str:
        from sre_latency.server.runs import run_status as status_of

        try:
            return status_of(manager, _store(), run_id).model_dump_json(indent=1)
        except LatencyError as exc:
            raise ResourceError(for_tool_caller(str(exc))) from None

    server.run_manager = manager  # type: ignore[attr-defined]  # for tests and diagnostics
    return server


def serve(log_level: str = "WARNING") -> None:
    """Run the server on stdin/stdout until the client closes the connection."""
    build_server(log_level).run("stdio")
