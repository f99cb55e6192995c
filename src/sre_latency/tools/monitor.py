"""The ``monitor`` tool: probe every target once per interval, for as long as it runs.

CLI only: it runs until SIGTERM (or one round with ``--once``, for cron), while an MCP call is
bounded by ``max_seconds``. Over MCP, ``monitor_status`` answers what a monitor saw. The loop
itself is ``tools.monitor_loop``; what it exports is the ``monitor`` package.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from sre_latency.core.durations import parse_duration
from sre_latency.monitor.status import TargetStatus
from sre_latency.store import RunStore
from sre_latency.tools.options import Face, split_list
from sre_latency.tools.probe_options import ProbeOptions

DESCRIPTION = """\
Monitor latency continuously: one streamed request per target every interval (jittered, with
the engine's deadlines and error classes, no retries), a rolling window with the SLO's
compliance, Prometheus metrics on --listen (/metrics, and /status for the window), OTLP push to
--otlp-endpoint, and every sample saved in the store (--store, a run per --rotate period, its
journal written as it goes). It never stops on errors; SIGTERM or Ctrl-C stops it cleanly (the
current run is saved); --once runs one round (for cron). COSTS API CREDITS: one request per
target per interval, unless --emulate."""
LOCATION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def _duration(value: str, what: str) -> str:
    parse_duration(value, what)  # ConfigError → one sentence naming the flag
    return value


class MonitorOptions(ProbeOptions):
    providers: Annotated[list[str], Face(metavar="LIST")] = Field(
        default_factory=list,
        description="providers to probe, comma-separated: anthropic, bedrock, openai or all "
        "(default anthropic; with emulate, all three)",
    )
    every: Annotated[str, Face(metavar="DURATION")] = Field(
        "60s", description="interval between rounds (one request per target each): 10s, 60s, 5m"
    )
    jitter_pct: float = Field(
        10.0, ge=0, le=100,
        description="each target's request starts up to this share of its slot (interval / "
        "targets) late, at random, so monitors in many places never probe in the same instant",
    )  # fmt: skip
    location: Annotated[str | None, Face(metavar="NAME")] = Field(
        None,
        description="where this monitor runs (a label on every metric and run; default "
        "$SRE_LATENCY_LOCATION, else the host name)",
    )
    listen: Annotated[str | None, Face(metavar="HOST:PORT")] = Field(
        None, description="serve /metrics (Prometheus) and /status on this address, e.g. "
        "127.0.0.1:9464",
    )  # fmt: skip
    otlp_endpoint: Annotated[str | None, Face(metavar="URL")] = Field(
        None, description="push the metrics over OTLP/HTTP to this collector, e.g. "
        "http://127.0.0.1:4318 (needs sre-latency[otlp])",
    )  # fmt: skip
    slo: Annotated[str | None, Face(metavar="FILE")] = Field(
        None, description="SLO file (as grade reads): its goodput bounds define a good request "
        "and become histogram buckets, its objective is the compliance target",
    )  # fmt: skip
    window: Annotated[str, Face(metavar="DURATION")] = Field(
        "1h", description="span of the rolling window (compliance gauge, /status)"
    )
    rotate: Annotated[str, Face(metavar="DURATION")] = Field(
        "1h", description="start a new run file in the store this often (at most 24h)"
    )
    once: bool = Field(False, description="run one round, save it, push OTLP and exit (cron)")

    @field_validator("providers", mode="before")
    @classmethod
    def _providers(cls, value: object) -> list[str]:
        return split_list(value)  # type: ignore[arg-type]

    @field_validator("every", "window", "rotate")
    @classmethod
    def _durations(cls, value: str) -> str:
        return _duration(value, "interval")

    @field_validator("location")
    @classmethod
    def _location(cls, value: str | None) -> str | None:
        if value is not None and not LOCATION_RE.match(value):
            raise ValueError("must be a short name of letters, digits, '.', '_' or '-'")
        return value


class MonitorResult(BaseModel):
    """What a monitor did before it stopped, and its rolling window at the end."""

    location: str
    started_at: datetime
    stopped_at: datetime
    stopped_by: Literal["once", "signal"]
    every_s: float
    rounds: int
    requests: int
    errors: int
    failed_probes: int = Field(description="probes that raised instead of measuring (logged)")
    skipped_slots: int = Field(description="slots skipped: the target's previous probe was "
                               "still running")  # fmt: skip
    metrics_url: str | None
    otlp_endpoint: str | None
    runs: list[str] = Field(description="the run files written to the store")
    targets: list[TargetStatus] = Field(description="the rolling window at the end")
    notes: list[str]
    summary: str


async def run(opts: MonitorOptions, *, store: RunStore | None = None, confined: bool = False,
              log=None) -> MonitorResult:  # fmt: skip
    """Monitor until SIGTERM/SIGINT (or one round with ``once``)."""
    from sre_latency.tools.monitor_loop import Monitor
    from sre_latency.tools.store_option import store_for

    monitor = Monitor(opts, store_for(opts, store), log=log)
    try:
        await monitor.start()
        await monitor.rounds()
    finally:
        await monitor.close()  # whatever started is stopped; the current run is saved
    return monitor.result()


OPTIONS = MonitorOptions
RESULT = "sre_latency.tools.monitor:MonitorResult"
