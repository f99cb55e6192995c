"""The ``session_benchmark`` tool: the same real Claude Code task on several providers, compared
session by session, with the reason for every gap (docs/session-benchmark.md).

::

    handle = await start(opts, on_sample)     # checked, journal open, sessions running
    run = await handle.wait()                 # or handle.cancel(): finished sessions are kept
    result = finish(run, handle.location, *handle.progress())
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from sre_latency.store import RunStore
from sre_latency.tools.emulation import EmulatorOptions
from sre_latency.tools.options import Face, split_list
from sre_latency.tools.store_option import StoreOptions

DESCRIPTION = """\
Run the same real Claude Code coding task (claude -p, headless, in a fresh copy of a small
repository) on several providers — the Anthropic API, Bedrock, an Anthropic-compatible
gateway — in interleaved rounds, and compare the sessions: session time, model time, tool time,
API calls, tool calls by tool, per-call TTFT, and whether the task's check passed. Explains each
gap ("bedrock sessions took +38 s: +28 more API calls × 1.1 s each account for 31 s; per-call
TTFT +180 ms accounts for 6 s …"). COSTS API CREDITS: n × providers full Claude Code sessions,
unless emulate=true (the built-in emulator plays the task's scripted conversation). Needs Claude
Code (`npm install -g @anthropic-ai/claude-code`). Saves a run of kind session for grade,
compare and report. Long: answers at max_seconds and goes on in the background (run_status)."""
DEFAULT_PROVIDERS = ("anthropic", "bedrock")


class SessionBenchmarkOptions(StoreOptions, EmulatorOptions):
    """What to run, where, and how often."""

    task: Annotated[str, Face(metavar="simple|medium|complex|PATH")] = Field(
        "simple",
        description="the task: simple (write a function, ~2 tool calls), medium (a module with "
        "tests, ~5-8), complex (read, refactor, add tests, ~10-15), or (CLI) a task directory "
        "(docs/session-benchmark.md#tasks; over MCP: a directory under the results root's "
        "tasks/ folder)",
    )
    n: Annotated[int, Face(flags=("-n",), agent_le=20)] = Field(
        3, ge=1, le=1000, description="sessions per provider (one per round)"
    )
    providers: Annotated[list[str], Face(metavar="LIST")] = Field(
        default_factory=list,
        description="providers, comma-separated: anthropic (ANTHROPIC_API_KEY), bedrock "
        "(CLAUDE_CODE_USE_BEDROCK with AWS_REGION and AWS credentials), gateway (gateway_url); "
        "default anthropic,bedrock",
    )
    model: str | None = Field(
        None,
        description="model for every provider: a short name (sonnet-4.5, opus-4.6 …) or a full "
        "id, mapped to each provider's id (default: Claude Code's own default)",
    )
    gateway_url: Annotated[str | None, Face(metavar="URL")] = Field(
        None, description="base URL of the Anthropic-compatible gateway (provider gateway)"
    )
    emulate: bool = Field(
        False,
        description="run against the built-in emulator, which plays the task's scripted "
        "conversation on the Anthropic and Bedrock routes: no credentials, no cost",
    )
    max_session_s: Annotated[float | None, Face(agent_le=1800)] = Field(
        None, gt=0, le=7200,
        description="kill a session after this many seconds (recorded as a timeout, its data "
        "kept); default the task's max_session_s, else 600",
    )  # fmt: skip
    claude: Annotated[
        str | None,
        Face(metavar="PATH", only="cli", why_only="which program to run is the shell user's call"),
    ] = Field(None, description="the claude binary (default: claude on PATH)")
    seed: int | None = Field(None, description="seed of the round order (default: drawn)")
    output: Annotated[str | None, Face(metavar="FILE")] = Field(
        None,
        description="where to save the run file (CLI: a path; MCP: a new file name under the "
        "results root's runs/ folder)",
    )

    @field_validator("providers", mode="before")
    @classmethod
    def _providers(cls, value: object) -> list[str]:
        return split_list(value)  # type: ignore[arg-type]


async def start(opts: SessionBenchmarkOptions, on_sample=None, *, store: RunStore | None = None,
                confined: bool = False):  # fmt: skip
    """Check everything, open the journal and start the sessions in the background."""
    from sre_latency.tools.session_measure import start_sessions

    return await start_sessions(opts, on_sample, store=store, confined=confined)


def finish(run: Any, location: str, finished: int, planned: int):
    from sre_latency.analysis.session_result import session_benchmark_result

    return session_benchmark_result(run, location, finished, planned)


def planned_per_target(opts: SessionBenchmarkOptions) -> int:
    """Sessions per provider (for "bedrock 2/5" progress messages)."""
    return opts.n


OPTIONS = SessionBenchmarkOptions
RESULT = "sre_latency.analysis.session_result:SessionBenchmarkResult"
