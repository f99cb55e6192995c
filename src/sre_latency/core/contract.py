"""The data contract: what a run file holds (docs/contract.md#run-files).

Other parts and outside users read these files, so a change here is made on purpose, with a
``SCHEMA_VERSION`` bump and a test. Every timing carries its unit in its name; every summary
carries its ``n``. Models are plain pydantic: no MCP, no I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sre_latency.core.metrics import SUMMARY_METRICS, TIMING_FIELDS
from sre_latency.core.sessions import SessionRecord
from sre_latency.errors import ErrorClass

__all__ = [
    "READABLE_SCHEMA_VERSIONS",
    "SCHEMA_VERSION",
    "SUMMARY_METRICS",
    "TIMING_FIELDS",
]  # and the models below

SCHEMA_VERSION = 2
# Versions this package reads: version 2 only added optional fields (and run kinds) to 1.
READABLE_SCHEMA_VERSIONS = (1, 2)

ProviderName = Literal["anthropic", "bedrock", "openai"]
# Counts, indices and statuses a run file holds: int64, what every reader of the file can hold.
Int64 = Annotated[int, Field(ge=-(2**63), lt=2**63)]
RunKind = Literal["benchmark", "latency_check", "latency_budget", "session", "capacity", "monitor"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SampleError(_Model):
    """Why one request failed. ``message`` never contains a key or a signature."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    class_: ErrorClass = Field(alias="class")
    status: Int64 | None = None
    message: str = ""


class ITL(_Model):
    """Inter-token latency of one request: gaps between consecutive content deltas (ms)."""

    n: Int64 = 0
    mean: float | None = None
    p50: float | None = None
    p99: float | None = None


class Sample(_Model):
    """One measured request. Times are milliseconds from the request start unless named otherwise."""

    seq: Int64
    round: Int64
    started_at: datetime
    ttfb_ms: float | None = None
    ttft_ms: float | None = None
    generation_ms: float | None = None
    total_ms: float | None = None
    request_sent_ms: float | None = None
    itl_ms: ITL = Field(default_factory=ITL)
    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    server_latency_ms: float | None = None
    server_ttft_ms: float | None = None
    network_overhead_ms: float | None = None
    input_tokens: Int64 | None = None
    output_tokens: Int64 | None = None
    cache_read_tokens: Int64 | None = None
    cache_write_tokens: Int64 | None = None
    output_tps: float | None = None
    http_status: Int64 | None = None
    request_id: str | None = None
    cold: bool = False
    error: SampleError | None = None
    # Load runs (docs/contract.md#load): the step of a sweep or capacity search, and, for a
    # scheduled send (open loop), when the request was planned to leave and when it left, in
    # seconds after its step's measured phase began.
    step: int | None = None
    intended_send_s: float | None = None
    send_s: float | None = None
    ttfr_ms: float | None = None  # first reasoning (thinking) delta; never part of TTFT
    new_connection: bool | None = None  # opened its connection inside the timed window
    buffered: bool = False  # deltas came in bursts: no throughput or ITL can be read from them

    @property
    def ok(self) -> bool:
        return self.error is None


class Dist(_Model):
    """Distribution of one metric over the successful samples that have it."""

    n: int
    mean: float
    sd: float
    min: float
    p50: float
    p90: float
    p95: float
    p99: float
    max: float


class Summary(_Model):
    """Counts and distributions for one target. Error samples count in ``error_rate`` only."""

    n: int = 0
    ok: int = 0
    errors: int = 0
    error_rate: float = 0.0
    errors_by_class: dict[str, int] = Field(default_factory=dict)
    ttfb_ms: Dist | None = None
    ttft_ms: Dist | None = None
    generation_ms: Dist | None = None
    total_ms: Dist | None = None
    request_sent_ms: Dist | None = None
    dns_ms: Dist | None = None
    connect_ms: Dist | None = None
    tls_ms: Dist | None = None
    server_latency_ms: Dist | None = None
    server_ttft_ms: Dist | None = None
    network_overhead_ms: Dist | None = None
    output_tps: Dist | None = None
    itl_ms: Dist | None = None  # over per-request mean ITL
    ttfr_ms: Dist | None = None
    buffered: int = 0  # successful samples whose stream was buffered (no output_tps, no ITL)
    new_connections: int = 0  # samples that opened a connection inside the timed window


class ProviderResult(_Model):
    """One target (provider × model × variant) of a run."""

    provider: ProviderName
    model: str
    endpoint: str  # base URL without credentials or query secrets
    options: dict[str, str] = Field(default_factory=dict)  # e.g. {"guardrail": "id:1"}
    summary: Summary = Field(default_factory=Summary)
    samples: list[Sample] = Field(default_factory=list)
    sessions: list[SessionRecord] = Field(default_factory=list)  # session runs: one per session


class Comparison(_Model):
    """Paired difference b − a on one metric over samples of the same round, with a 95 % CI."""

    a: str
    b: str
    metric: str
    paired_n: int
    delta_p50_ms: float | None
    ci95_low: float | None
    ci95_high: float | None
    statement: str = ""  # "bedrock adds 98 ms [74, 121] to TTFT p50 (n=40 pairs)"


class Environment(_Model):
    model_config = ConfigDict(extra="allow")

    host: str
    os: str
    python: str
    package_version: str
    client_region: str | None = None
    location: str | None = None  # a name for where it ran ("eu-office"); merges runs by place


class ClientHealth(_Model):
    """How busy the measuring client itself was; a saturated client makes a run invalid."""

    loop_lag_p50_ms: float | None = None
    loop_lag_p99_ms: float | None = None
    loop_lag_max_ms: float | None = None
    schedule_lag_p99_ms: float | None = None
    cpu_ms_per_request: float | None = None
    late_sends: int | None = None  # open loop: planned sends left out, > 10 ms late (schedule_lag)
    workers: int | None = None  # client processes that measured (1 unless the load needed more)


class RunConfig(BaseModel):
    """Every knob of a run. Extra knobs (added by later features) are kept, never dropped."""

    model_config = ConfigDict(extra="allow")

    providers: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    n: int = 0
    prompt_size: str = "small"
    max_tokens: int = 64
    concurrency: int = 1
    warmup: int = 2
    timeout_s: float = 60.0
    cold: bool = False
    emulate: bool = False
    seed: int | None = None


class Run(_Model):
    """One run file. ``complete`` is false for a run loaded from its journal after a crash."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    kind: RunKind
    created_at: datetime
    finished_at: datetime | None = None
    complete: bool = False
    valid: bool = True
    validity_notes: list[str] = Field(default_factory=list)
    config: RunConfig = Field(default_factory=RunConfig)
    environment: Environment
    client_health: ClientHealth | None = None
    providers: dict[str, ProviderResult] = Field(default_factory=dict)
    comparisons: list[Comparison] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)  # kind-specific data (e.g. latency budget)
    timeseries: TimeSeries | None = None
    steps: list[LoadStep] = Field(default_factory=list)


class Window(_Model):
    """One window (``TimeSeries.window_s``) of one target; ``t_s`` is its start after ``origin``.

    Requests count in the window they started in (``started``, TTFT percentiles) or finished
    in (``finished``, ``errors_by_class``); ``in_flight_mean`` and ``output_tokens_per_s`` are
    time-weighted over the window (a request's tokens spread over its generation).
    """

    t_s: float
    started: int = 0
    finished: int = 0
    errors_by_class: dict[str, int] = Field(default_factory=dict)
    in_flight_mean: float = 0.0
    output_tokens_per_s: float = 0.0
    ttft_n: int = 0
    ttft_p50_ms: float | None = None
    ttft_p99_ms: float | None = None


class ProcessWindow(_Model):
    """One sample of a watched process tree (the system under test, or the client itself)."""

    t_s: float
    processes: int = 0  # processes in the tree at that moment
    cpu_pct: float | None = None  # of one core over the last interval: 200 = two cores busy
    rss_bytes: int | None = None
    threads: int | None = None
    open_fds: int | None = None
    read_bytes_per_s: float | None = None
    write_bytes_per_s: float | None = None
    ctx_switches_per_s: float | None = None


class TimeSeries(_Model):
    """Per-window figures of a run, aligned on one clock: targets and watched processes."""

    origin: datetime
    window_s: float = 1.0
    targets: dict[str, list[Window]] = Field(default_factory=dict)
    processes: dict[str, list[ProcessWindow]] = Field(default_factory=dict)


class LoadStep(_Model):
    """One step of a sweep or capacity search: the load it offered, and when."""

    index: int
    loop: Literal["closed", "open"]
    rate_per_s: float | None = None  # per target (open loop)
    concurrency: int | None = None  # workers (closed loop) or the in-flight cap (open loop)
    arrival: str | None = None
    planned: int = 0
    finished: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    verdict: str | None = None  # capacity: "holds", "breached", … with its evidence


Run.model_rebuild()  # its load fields are declared below it
