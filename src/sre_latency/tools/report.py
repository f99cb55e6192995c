"""The ``report`` tool: the analysis of one saved run, and the file it is written to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from sre_latency.errors import ConfigError
from sre_latency.store import RunStore
from sre_latency.tools.by_location import ByOptions
from sre_latency.tools.options import Face
from sre_latency.tools.store_option import StoreOptions, store_for

DESCRIPTION = """\
Analyse a saved run like a performance report: status line and main finding, a table per
target (n, success rate, mean ± sd, p50/p90/p99 of TTFT, total and throughput), errors by class,
throughput over time, consistency, tiers, and recommendations that cite their figures. With
output, also writes it as Markdown, HTML (with plots), JSON or CSV. Reads a run file; costs
nothing."""


class ReportOptions(StoreOptions, ByOptions):
    run: Annotated[str | None, Face(positional=True)] = Field(
        None, description="run id, file name or path (default: the latest benchmark)"
    )
    format: Literal["md", "html", "json", "csv"] = Field(
        "md",
        description="md (Markdown), html (one self-contained file with plots), json (the "
        "result model) or csv (one row per target and metric)",
    )
    output: Annotated[str | None, Face(flags=("-o",), metavar="FILE")] = Field(
        None,
        description="write the report here (CLI: a path, default stdout; MCP: a new file name "
        "under the results root's reports/ folder)",
    )
    slo: Annotated[str | None, Face(metavar="FILE")] = Field(
        None, description="an SLO table in TOML for the grades and tiers (default table)"
    )
    latest: Annotated[int | None, Face(metavar="N", agent_le=50)] = Field(
        None, ge=1, le=1000, description="with by=location: pool the N newest runs of the store"
    )


def _output_path(store: RunStore, opts: ReportOptions, run_path: Path, confined: bool) -> Path:
    from sre_latency.store.resolve import new_output

    if confined:
        return new_output(store.home / "reports", store.home, opts.output, f".{opts.format}")  # type: ignore[arg-type]
    path = Path(opts.output).expanduser()  # type: ignore[arg-type]
    try:
        same = path.resolve() == Path(str(run_path)).resolve()  # S3: never a local file
    except OSError:
        same = False
    pending = path.suffix != ".jsonl" and _is_run_file(path.with_suffix(".jsonl"))
    if same or path.suffix == ".jsonl" or _is_run_file(path) or pending:
        what = "the run file of a run whose journal is beside it" if pending else "a run file"
        raise ConfigError(
            f"{path} is {what} (or a journal); refusing to write a report over it. "
            "Choose another --output."
        )
    return path


def _is_run_file(path: Path) -> bool:
    """Whether ``path`` holds a run file or a journal (its first bytes carry a run header)."""
    try:
        with open(path, "rb") as f:
            head = f.read(8192)
    except OSError:
        return False
    return b'"run_id"' in head and (b'"schema_version"' in head or b'"type":"header"' in head)


def run(opts: ReportOptions, *, store: RunStore | None = None, confined: bool = False):
    """The report of ``opts.run``; with ``output``, also the document, written atomically."""
    from sre_latency.analysis.columns import DEFAULT_KINDS, load_columns
    from sre_latency.analysis.report.build import build_report, render
    from sre_latency.core.slo import load_slo_file
    from sre_latency.store import write_atomic
    from sre_latency.store.resolve import file_under_root

    store = store_for(opts, store)
    cols = None
    if opts.by == "location":
        from sre_latency.tools.by_location import pooled_runs

        cols, path = pooled_runs(store, opts.latest, opts.run)
    elif opts.latest is not None:
        raise ConfigError("--latest pools runs for --by location; without it, name one run.")
    else:
        path = store.resolve(opts.run, confined=confined, kinds=DEFAULT_KINDS)
    slo = file_under_root(store.home, opts.slo) if confined and opts.slo else opts.slo
    out = _output_path(store, opts, path, confined) if opts.output else None
    cols = cols or load_columns(path, store)
    result = build_report(cols, load_slo_file(slo) if slo else None)
    result.output_format = opts.format
    document = render(result, cols, opts.format)
    if cols.kind == "session":  # the per-session figures, the explanation and the timeline
        from sre_latency.analysis.report.session import add_session_section

        document = add_session_section(document, store.load_path(path), opts.format)
    if out is not None:
        try:
            write_atomic(out, document)
        except OSError as exc:
            raise ConfigError(f"cannot write the report to {out}: {exc.strerror}.") from None
        result.output_path = str(out)
    result._document = None if out is not None or confined else document
    return result


OPTIONS = ReportOptions
RESULT = "sre_latency.analysis.report.models:ReportResult"
