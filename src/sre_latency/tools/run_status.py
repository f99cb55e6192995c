"""The ``run_status`` tool, and what every long-running tool answers: where a run stands.

One shape for ``benchmark``, ``latency_budget`` and ``run_status``, because a measuring call may
answer before its run has finished (``max_seconds``): ``state`` says which, ``result`` holds the
figures so far or final (the same ``BenchmarkResult`` the CLI prints with ``--json``), and
``budget`` the latency budget of a latency-budget run. Claude Code may show the model only
``structuredContent``: units are in the names and ``summary`` is one line.

Live runs (those the MCP server is measuring) come from a ``LiveRuns`` registry; any other
run is read from the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, Field

from sre_latency.analysis.budget import LatencyBudgetResult
from sre_latency.analysis.session_result import SessionBenchmarkResult
from sre_latency.core.contract import Run
from sre_latency.errors import LatencyError
from sre_latency.store import RunStore, open_store
from sre_latency.tools.benchmark import BenchmarkResult, benchmark_result
from sre_latency.tools.capacity import CapacityResult
from sre_latency.tools.options import Face, Options

RunState = Literal["running", "done", "cancelled", "failed", "incomplete"]


class RunStatus(BaseModel):
    """Where a measuring run stands: still running in the server, or finished and saved."""

    run_id: str
    kind: str
    state: RunState = Field(
        description="running: goes on in the server; done: finished and saved; cancelled or "
        "incomplete: stopped early, finished samples saved; failed: see summary"
    )
    path: str = Field(
        description="the run file; written when the run ends or is stopped (a benchmark journals "
        "its finished samples beside it, in <run_id>.jsonl, meanwhile)"
    )
    finished_requests: int
    planned_requests: int
    share_done_pct: float = Field(description="finished / planned requests, in percent")
    continuing_in_background: bool = Field(
        description="true when the run goes on in the server after this answer; follow it "
        "with run_status"
    )
    progress_message: str | None = Field(None, description="the latest progress step")
    result: BenchmarkResult | None = Field(None, description="the run's figures, so far or final")
    budget: LatencyBudgetResult | None = Field(
        None, description="latency-budget runs: where each millisecond went, per phase"
    )
    summary: str
    sessions: SessionBenchmarkResult | None = Field(
        None, description="session-benchmark runs: the sessions per provider and the gap explained"
    )
    capacity: CapacityResult | None = Field(
        None, description="capacity runs: the load the SLO held at, its bracket and evidence"
    )


def _pct(finished: int, planned: int) -> float:
    return round(100.0 * finished / planned, 1) if planned else 0.0


def _so_far(result: BenchmarkResult) -> str:
    parts = []
    for t in result.targets:
        ttft = f"TTFT p50 {t.ttft_p50_ms:.0f} ms" if t.ttft_p50_ms is not None else "no TTFT yet"
        errors = f", {t.n - t.ok} errors" if t.n > t.ok else ""
        parts.append(f"{t.label} {ttft} (n={t.ok}{errors})")
    return "; ".join(parts) or "nothing finished yet"


def status_of_run(
    run_id: str,
    kind: str,
    run: Run | None,
    path: Path | None,
    state: RunState,
    finished: int,
    planned: int,
    progress_message: str | None = None,
    error: str | None = None,
) -> RunStatus:
    """The status of a run (a live snapshot, the saved file, or nothing yet) in one line."""
    result = benchmark_result(run, path or "", finished, planned) if run is not None else None
    budget = None
    if run is not None and run.kind == "latency_budget" and state != "running" and finished:
        from sre_latency.analysis.budget import latency_budget_from_run

        budget = latency_budget_from_run(run)
    sessions = None
    if run is not None and run.kind == "session" and state != "running" and finished:
        from sre_latency.analysis.session_result import session_benchmark_result

        sessions = session_benchmark_result(run, path or "", finished, planned)
    capacity = None
    if run is not None and run.kind == "capacity":
        from sre_latency.tools.capacity import capacity_result

        capacity = capacity_result(run, path or "", finished, planned)
    if run is not None:
        run_id = run.run_id
    pct = _pct(finished, planned)
    if state == "running":
        so_far = _so_far(result) if result is not None else "figures come when it ends"
        summary = (
            f"Run {run_id} continues in the server: {finished}/{planned} requests done "
            f"({pct:.0f} %); call run_status with run={run_id!r} to follow it. So far: {so_far}."
        )
    elif state == "failed":
        summary = f"Run {run_id} failed after {finished}/{planned} requests: {error}"
    else:
        lead = {
            "done": "finished",
            "cancelled": f"was cancelled after {finished}/{planned} requests; finished samples saved",
            "incomplete": f"stopped after {finished}/{planned} requests; finished samples saved",
        }[state]
        figures = (
            sessions.summary if sessions is not None
            else budget.summary if budget is not None
            else capacity.summary if capacity is not None
            else result.summary if result is not None
            else f"the run file is under the results root (kind {kind})"
        )  # fmt: skip
        summary = f"Run {run_id} {lead}: {figures}"
    return RunStatus(
        run_id=run_id,
        kind=kind,
        state=state,
        path=str(path) if path is not None else "",
        finished_requests=finished,
        planned_requests=planned,
        share_done_pct=pct,
        continuing_in_background=state == "running",
        progress_message=progress_message,
        result=result,
        budget=budget,
        summary=summary,
        sessions=sessions,
        capacity=capacity,
    )


def saved_status(run: Run, path: Path, budget: LatencyBudgetResult | None = None) -> RunStatus:
    """The status of a run known only from its file (finished, or left by another process);
    with ``budget``, the latency budget of that saved run."""
    finished = sum(p.summary.n for p in run.providers.values())
    planned = max(finished, run.config.n * len(run.providers))
    state: RunState = "done" if run.complete else "incomplete"
    status = status_of_run(run.run_id, run.kind, run, path, state, finished, planned)
    if budget is not None:
        status.budget = budget
        status.summary = f"Run {run.run_id}: {budget.summary}"
    return status


def run_line(run: Run, path: Path) -> str:
    """One line per run for the ``sre-latency://runs`` listing."""
    finished = sum(p.summary.n for p in run.providers.values())
    result = benchmark_result(run, path, finished, finished)
    state = "complete" if run.complete else "incomplete"
    return f"{run.run_id}  {run.kind}  {state}  {path.name}  {result.summary}"


DESCRIPTION = """\
Progress of a measuring run that goes on in the background (after benchmark or latency_budget
answered at max_seconds), and its summary once finished; also works for any saved run. Omit run
for the newest. Costs nothing."""


class RunStatusOptions(Options):
    run: Annotated[str | None, Face(positional=True)] = Field(
        None,
        description="a run id (e.g. '20261123T113200Z-benchmark-3f9a') or a run file name under "
        "the results root; omit for the newest run",
    )


class LiveRun(Protocol):
    run_id: str
    kind: str
    started_at: Any
    path: Path | None

    def status(self) -> RunStatus: ...
    def counts(self) -> tuple[int, int]: ...


class LiveRuns(Protocol):
    """The runs a server is measuring now (or finished recently)."""

    def get(self, run_id: str) -> LiveRun | None: ...
    def running(self) -> list[LiveRun]: ...
    def all(self) -> list[LiveRun]: ...


def run(opts: RunStatusOptions, *, store: RunStore | None = None, confined: bool = False,
        live: LiveRuns | None = None) -> RunStatus:  # fmt: skip
    """Status of the run ``opts.run`` names (None: the newest), live when a server runs it."""
    ref = opts.run
    if live is not None:
        if ref:
            active = live.get(ref) or live.get(Path(ref).stem)
            if active is not None:
                return active.status()
        elif live.running():
            return max(live.running(), key=lambda a: a.started_at).status()
    store = store or open_store()
    path = store.resolve(ref, confined=confined)
    for active in live.all() if live is not None else []:
        if active.path is not None and path in (active.path, active.path.with_suffix(".jsonl")):
            return active.status()
    return saved_status(store.load_path(path), path)


def runs_listing(store: RunStore | None = None, live: LiveRuns | None = None,
                 limit: int = 30) -> str:  # fmt: skip
    """The recent runs in the store, newest first, one line each (an unreadable file is named)."""
    store = store or open_store()
    lines = []
    running = live.running() if live is not None else []
    for active in sorted(running, key=lambda a: a.started_at, reverse=True):
        finished, planned = active.counts()
        lines.append(f"{active.run_id}  {active.kind}  running  {finished}/{planned} requests")
    live_ids = {a.run_id for a in running}
    for path in store.list_paths()[:limit]:
        if path.stem in live_ids:
            continue
        try:
            lines.append(run_line(store.load_path(path), path))
        except LatencyError as exc:
            lines.append(f"{path.name}  unreadable: {exc}")
    if not lines:
        return (
            f"No runs under {store.location} yet. Measure one with the benchmark tool "
            "(emulate=true needs no API key)."
        )
    return "\n".join(lines[:limit])


OPTIONS = RunStatusOptions
RESULT = "sre_latency.tools.run_status:RunStatus"
