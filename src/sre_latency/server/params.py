"""The parameter types and tool annotations of the MCP tools, shared by several tools.

The signature is the schema: each parameter is ``Annotated[type, Field(description, bounds)]``,
with names mirroring the CLI flags (``--max-tokens`` → ``max_tokens``). Bounds are what an agent
may ask for (``n`` ≤ 500, ``concurrency`` ≤ 64); people with bigger plans use the CLI.
Only pydantic and typing here: the server imports this at start-up.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.types import ToolAnnotations
from pydantic import Field

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
MEASURES = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
WRITES_REPORT = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)

RunRef = Annotated[
    str | None,
    Field(
        description="A run id (e.g. '20261123T113200Z-benchmark-3f9a') or a run file name under "
        "the results root; omit for the latest run."
    ),
]


Providers = Annotated[
    list[str] | str | None,
    Field(
        description="Providers to measure: anthropic, bedrock, openai (an OpenAI-compatible "
        "gateway at OPENAI_BASE_URL). Default anthropic; with emulate, all three."
    ),
]
Models = Annotated[
    list[str] | str | None,
    Field(
        description="Model short names (haiku-4.5, sonnet-4.5, opus-4.1 …) or full ids; "
        "several models make one target per provider × model. Default haiku-4.5."
    ),
]
PerTarget = Annotated[
    int, Field(description="Measured requests per target (warm-up excluded).", ge=1, le=500)
]
PromptSize = Annotated[
    Literal["small", "medium", "large"], Field(description="Size of the prompt sent.")
]
MaxTokens = Annotated[int, Field(description="Output token cap per request.", ge=1, le=8192)]
Concurrency = Annotated[int, Field(description="Requests in flight at once.", ge=1, le=64)]
Warmup = Annotated[
    int, Field(description="Discarded warm-up requests per target first.", ge=0, le=20)
]
TimeoutS = Annotated[
    float, Field(description="Total deadline per request, in seconds.", gt=0, le=600)
]
Emulate = Annotated[
    bool,
    Field(
        description="Measure the built-in local emulator instead of the real APIs: no "
        "credentials needed, no cost. Use it to try the tool or rehearse failure handling."
    ),
]
Output = Annotated[
    str | None,
    Field(
        description="File name (not a path) for the run file under the results root's runs/ "
        "folder; default <run_id>.json. An existing file is never overwritten."
    ),
]
MaxSeconds = Annotated[
    float,
    Field(
        description="Answer after at most this many seconds with what has finished; the rest "
        "of the run goes on in the server (follow it with run_status). Keep it under the "
        "client's tool-call time limit.",
        ge=0,
        le=3600,
    ),
]
EmulatorMs = Annotated[
    float | None, Field(description="With emulate: emulated time in ms.", ge=0, le=600_000)
]
EmulatorTokens = Annotated[
    int | None, Field(description="With emulate: emulated output tokens.", ge=1, le=100_000)
]
EmulatorFaults = Annotated[
    list[str] | None,
    Field(
        description="With emulate: faults to inject as NAME:RATE, e.g. ['rate_limit:0.1', "
        "'stream_error:0.05'] (names: auth, rate_limit, overloaded, server, client, timeout, "
        "connection, stream_error, protocol, malformed).",
        max_length=20,
    ),
]
Cold = Annotated[
    bool, Field(description="Open a fresh connection for every request (DNS/TCP/TLS each time).")
]
Seed = Annotated[int | None, Field(description="Seed of the interleaving order.")]
BedrockApi = Annotated[Literal["invoke", "converse"], Field(description="Bedrock streaming API.")]
BedrockGeo = Annotated[
    str, Field(description="Bedrock inference-profile geography (us, eu, apac…).")
]
BedrockGuardrail = Annotated[
    str | None, Field(description="Also measure Bedrock with this guardrail, as ID:VERSION.")
]
BedrockLatency = Annotated[
    Literal["standard", "optimized"] | None,
    Field(description="optimized: also measure Bedrock's latency-optimized inference."),
]
CheckProvider = Annotated[
    Literal["anthropic", "openai", "bedrock", "all"],
    Field(description="Which provider; all = every provider that has credentials."),
]
BudgetRun = Annotated[
    str | None,
    Field(
        description="Analyse this saved run (id or file name) instead of measuring; costs nothing."
    ),
]
BudgetModel = Annotated[
    str | None, Field(description="Model short name or id (default haiku-4.5).")
]
BudgetN = Annotated[
    int, Field(description="Requests per provider in each mode (warm, cold).", ge=2, le=200)
]
Slo = Annotated[
    str | None,
    Field(
        description="An SLO table in TOML, as a file name under the results root; omit for "
        "the default table (TTFT p50 ≤ 500/800/1200/2000 ms for A/B/C/D, …)."
    ),
]
Thresholds = Annotated[
    list[str] | None,
    Field(
        description="k6-style pass/fail checks, e.g. ['ttft_ms p95 < 500', 'error_rate < 1%'].",
        max_length=50,
    ),
]
FailBelow = Annotated[
    Literal["A", "B", "C", "D", "F"] | None,
    Field(description="Mark the gate failed when any provider grades below this."),
]
Runs = Annotated[
    list[str] | None,
    Field(
        description="Two or more run ids or file names; the first is the baseline.", max_length=20
    ),
]
Latest = Annotated[
    int | None, Field(description="Instead of runs: compare the N most recent runs.", ge=2, le=20)
]
Metrics = Annotated[
    list[str] | None,
    Field(description="Metrics to compare (default ttft_ms, total_ms, output_tps)."),
]
MinChangePct = Annotated[
    float, Field(description="Smallest change worth flagging, in percent.", ge=0, le=1000)
]
ReportFormat = Annotated[
    Literal["json", "md", "html", "csv"],
    Field(description="Format of the file written when output is given."),
]
ReportOutput = Annotated[
    str | None,
    Field(
        description="File name (not a path) to write the report to, under the results root's "
        "reports/ folder; an existing file is never overwritten."
    ),
]
Session = Annotated[
    str | None, Field(description="A Claude Code session id; omit for the current or latest one.")
]
LastSessions = Annotated[
    int | None, Field(description="Instead: the N most recent sessions.", ge=1, le=100)
]
FromTranscript = Annotated[
    str | None,
    Field(
        description="Read this Claude Code transcript instead of the hook log, for sessions "
        "recorded without the hook: a session's .jsonl under ~/.claude (or $CLAUDE_CONFIG_DIR), "
        "as a path or relative to that folder, e.g. 'projects/<project>/<session-id>.jsonl'."
    ),
]
