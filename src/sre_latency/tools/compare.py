"""The ``compare`` tool: saved runs side by side, each later run against the first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator

from sre_latency.core.metrics import HEADLINE_METRICS
from sre_latency.errors import ConfigError
from sre_latency.store import RunStore, open_store
from sre_latency.tools.by_location import ByOptions
from sre_latency.tools.options import Face, split_list
from sre_latency.tools.store_option import StoreOptions, store_for

DESCRIPTION = """\
Compare saved runs side by side per target (paired by provider, model and Bedrock variant):
p50/p90/p99/mean and error rate, and each later run's change against the first with a 95 %
CI (simultaneous over every test of the call, so two runs of one profile are flagged
at most 1 time in 20). A regression is flagged only when the CI excludes zero and the change
exceeds min_change_pct; p99 is tested only from n = 368 per run. When the runs' conditions
differ (model, prompt size, max_tokens, concurrency, cold/warm, emulated or real, endpoint) it
says so and flags nothing unless allow_different_conditions. Use it to answer "did it get
slower since last week?". Reads run files only; costs nothing."""


class CompareOptions(StoreOptions, ByOptions):
    runs: Annotated[list[str], Face(positional=True, agent_max_length=20)] = Field(
        default_factory=list,
        description="two or more run ids, file names or paths; the first is the baseline",
    )
    latest: Annotated[int | None, Face(metavar="N", agent_le=20)] = Field(
        None,
        ge=2,
        le=1000,
        description="instead of runs: compare the N newest benchmark runs by measurement time "
        "(oldest first)",
    )
    dir: Annotated[
        str | None,
        Face(metavar="DIR", only="cli", why_only="an arbitrary directory is for the shell user"),
    ] = Field(None, description="with latest: a directory of run files instead of the results root")
    metrics: list[str] = Field(
        default_factory=lambda: list(HEADLINE_METRICS),
        description="per-request metrics to compare, comma-separated",
    )
    min_change_pct: float = Field(
        5.0, ge=0, le=1000, description="smallest relative change flagged, in percent"
    )
    allow_different_conditions: bool = Field(
        False,
        description="judge changes even when the runs' conditions differ (model, prompt size, "
        "max_tokens, concurrency, cold/warm, emulated or real, endpoint)",
    )
    fail_on_regression: Annotated[
        bool, Face(only="cli", why_only="an exit-code gate for CI scripts")
    ] = Field(False, description="exit 1 when any regression is flagged")

    @field_validator("runs", "metrics", mode="before")
    @classmethod
    def _lists(cls, value: object) -> list[str]:
        return split_list(value)  # type: ignore[arg-type]


def _refs(opts: CompareOptions, store: RunStore, confined: bool) -> list:
    if opts.latest and len(opts.runs) == 1 and not confined and Path(opts.runs[0]).is_dir():
        opts = opts.model_copy(update={"dir": opts.runs[0], "runs": []})  # `compare DIR --latest N`
    if opts.latest is not None and opts.runs:
        raise ConfigError("pass either runs or --latest N, not both: --latest chooses the runs.")
    if opts.latest is None:
        if opts.dir is not None:
            raise ConfigError("a directory needs --latest N to choose which runs to compare.")
        if not opts.runs:
            raise ConfigError("nothing to compare: pass two or more runs, or --latest N.")
        return [store.resolve(r, confined=confined) for r in opts.runs]
    if opts.dir is not None:
        if not Path(opts.dir).is_dir():
            raise ConfigError(f"{opts.dir} is not a directory of run files.")
        store = open_store(Path(opts.dir))
    if opts.by == "location":  # the monitor's runs and benchmarks, pooled per place
        from sre_latency.analysis.columns import ANALYSED_KINDS

        kind = "measured"
        paths = store.list_paths(kinds=tuple(k for k in ANALYSED_KINDS if k != "session"))
    else:
        kind, paths = _newest_of_one_kind(store)
    paths = paths[: opts.latest]
    if len(paths) < 2:
        raise ConfigError(
            f"nothing to compare: {len(paths)} {kind} run(s) under {store.location}; measure "
            "another with `sre-latency benchmark --emulate`, or name the runs to compare."
        )
    return list(reversed(paths))  # oldest first: the first is the baseline


def _newest_of_one_kind(store: RunStore) -> tuple[str, list]:
    """The runs of the kind the newest default-kind run has (benchmarks, or session runs),
    newest first: ``--latest N`` never mixes them, nor picks up a one-request check."""
    from sre_latency.analysis.columns import DEFAULT_KINDS

    newest = store.list_paths(kinds=DEFAULT_KINDS)[:1]
    for kind in DEFAULT_KINDS:
        paths = store.list_paths(kinds=(kind,))
        if not newest or paths[:1] == newest:
            return kind, paths
    return DEFAULT_KINDS[0], []


def run(opts: CompareOptions, *, store: RunStore | None = None, confined: bool = False):
    from sre_latency.analysis.columns import load_columns
    from sre_latency.analysis.compare import compare

    store = store_for(opts, store)
    cols = [load_columns(p, store) for p in _refs(opts, store, confined)]
    if len({c.kind == "session" for c in cols}) > 1:
        raise ConfigError("a session run holds whole Claude Code sessions, not requests: compare "
                          "session runs with session runs only.")  # fmt: skip
    if opts.by == "location":
        from sre_latency.tools.by_location import compare_by_location

        return compare_by_location(cols, opts)
    return compare(
        cols,
        metrics=opts.metrics,
        min_change_pct=opts.min_change_pct,
        allow_different_conditions=opts.allow_different_conditions,
    )


OPTIONS = CompareOptions
RESULT = "sre_latency.analysis.compare:CompareResult"
