"""The ``grade`` tool: a saved run graded A–F per target against an SLO table."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from sre_latency.store import RunStore
from sre_latency.tools.options import Face
from sre_latency.tools.store_option import StoreOptions, store_for

DESCRIPTION = """\
Grade a saved run A–F per provider against latency SLOs (TTFT p50/p99, output throughput, error
rate), with k6-style thresholds and goodput (the share of requests meeting every per-request
SLO). Use it after benchmark to judge whether the figures are good enough. Reads a run file
only; costs nothing."""


class GradeOptions(StoreOptions):
    run: Annotated[str | None, Face(positional=True)] = Field(
        None,
        description="run id, file name under the results root, or path (default: the latest "
        "benchmark)",
    )
    slo: Annotated[str | None, Face(metavar="FILE")] = Field(
        None,
        description="an SLO table in TOML (MCP: a file under the results root); default: the "
        "built-in table, A/B/C/D at TTFT p50 ≤ 500/800/1200/2000 ms, TTFT p99 ≤ "
        "1500/2500/4000/6000 ms, output tokens/s mean ≥ 80/60/40/20 and error rate ≤ 0/1/5/10 %",
    )
    threshold: Annotated[list[str], Face(repeat=True, metavar="EXPR", agent_max_length=50)] = Field(
        default_factory=list,
        description="k6-style pass/fail check, e.g. 'ttft_ms p95 < 500' or 'error_rate < 1%' "
        "(repeatable)",
    )
    fail_below: Literal["A", "B", "C", "D", "F"] | None = Field(
        None, description="mark the gate failed (CLI: exit 1) when any target grades below this"
    )

    @field_validator("fail_below", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


def run(opts: GradeOptions, *, store: RunStore | None = None, confined: bool = False):
    """Grade the run ``opts.run`` names (None: the latest)."""
    from sre_latency.analysis.columns import DEFAULT_KINDS, load_columns
    from sre_latency.analysis.grade import grade
    from sre_latency.store.resolve import file_under_root

    store = store_for(opts, store)
    path = store.resolve(opts.run, confined=confined, kinds=DEFAULT_KINDS)
    slo = file_under_root(store.home, opts.slo) if confined and opts.slo else opts.slo
    cols = load_columns(path, store)
    if slo is None and cols.kind == "session":  # whole sessions, not requests
        from sre_latency.core.sessions import session_slo_table

        slo = session_slo_table()
    return grade(cols, slo=slo, thresholds=opts.threshold, fail_below=opts.fail_below)


OPTIONS = GradeOptions
RESULT = "sre_latency.analysis.grade:GradeResult"
