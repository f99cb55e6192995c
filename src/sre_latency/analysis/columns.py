"""Runs as numpy columns: the shape every analysis tool computes on.

A list of pydantic ``Sample`` objects is the data contract on disk; analysing a million of them
with per-sample Python loops is not affordable. ``RunColumns`` holds one float array per metric
(NaN where a sample has no value), an ok mask, error classes, rounds and start times per target,
so grade, compare, report and latency-budget are vectorised.

``load_run_columns`` accepts what a user or the MCP server passes (None for the latest run, a run
id, a file name under the results root, a path, a ``Run`` or ready ``RunColumns``). Run files are
read by a fast loader (``json.loads`` straight into columns, the run header validated by the data
contract, every sample judged by it through ``store.samples.judged_samples``): loading 100,000
samples through pydantic alone takes seconds, and the loader accepts exactly what the contract
accepts.
"""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from sre_latency.core.contract import (
    ClientHealth,
    Environment,
    LoadStep,
    ProviderResult,
    Run,
    RunConfig,
    TimeSeries,
)
from sre_latency.core.metrics import SAMPLE_METRICS
from sre_latency.errors import ERROR_CLASSES, StoreError
from sre_latency.store import (
    RunStore,
    check_run_header,
    decode_json,
    first_validation_error,
    open_store,
)
from sre_latency.store.samples import Columns, columns_of, judged_columns

# Per-sample numeric columns: the timings, throughput, per-request mean ITL and token counts.
# A session run holds one sample per Claude Code session (docs/contract.md#session-runs).
ANALYSED_KINDS = ("benchmark", "latency_check", "latency_budget", "monitor", "session", "capacity")
DEFAULT_KINDS = ("benchmark", "session")  # what grade, compare and report read by default


@dataclass
class TargetColumns:
    """One target (provider × model) of a run as columns of equal length ``n``."""

    label: str
    provider: str
    model: str
    endpoint: str
    metrics: dict[str, np.ndarray]  # float64, NaN where the sample has no value
    ok: np.ndarray  # bool
    error_code: np.ndarray  # int8 index into ERROR_CLASSES, -1 for a successful sample
    round: np.ndarray  # int64
    cold: np.ndarray  # bool
    started_s: np.ndarray  # float64 epoch seconds
    error_messages: dict[int, str] = field(default_factory=dict)  # sample index → message
    _sorted: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    step: np.ndarray | None = None  # int64 step of a sweep or capacity search, −1 for none
    send_lag_ms: np.ndarray | None = None  # open loop: actual − planned send time, NaN if none
    buffered: np.ndarray | None = None  # bool: the stream came in bursts (no tok/s, no ITL)

    @property
    def n(self) -> int:
        return int(self.ok.size)

    @property
    def n_ok(self) -> int:
        return int(self.ok.sum())

    @property
    def n_errors(self) -> int:
        return self.n - self.n_ok

    def ok_values(self, metric: str, mask: np.ndarray | None = None) -> np.ndarray:
        """Values of ``metric`` over successful samples (optionally also within ``mask``)."""
        col = self.metrics[metric]
        keep = self.ok & ~np.isnan(col)
        if mask is not None:
            keep &= mask
        return col[keep]

    def sorted_ok(self, metric: str) -> np.ndarray:
        """``ok_values(metric)`` sorted, computed once: every percentile is then O(1)."""
        if metric not in self._sorted:
            self._sorted[metric] = np.sort(self.ok_values(metric))
        return self._sorted[metric]

    @property
    def n_buffered(self) -> int:
        """Successful samples whose stream a server or proxy buffered."""
        return int((self.buffered & self.ok).sum()) if self.buffered is not None else 0

    def errors_by_class(self) -> dict[str, int]:
        codes, counts = np.unique(self.error_code[self.error_code >= 0], return_counts=True)
        return {ERROR_CLASSES[c]: int(k) for c, k in zip(codes, counts, strict=True)}


@dataclass
class RunColumns:
    """A run's metadata and its targets as columns."""

    run_id: str
    kind: str
    created_at: datetime
    complete: bool
    valid: bool
    validity_notes: list[str]
    environment: Environment
    config: RunConfig
    targets: dict[str, TargetColumns]
    path: str | None = None
    timeseries: TimeSeries | None = None
    steps: list[LoadStep] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    client_health: ClientHealth | None = None

    @property
    def n(self) -> int:
        return sum(t.n for t in self.targets.values())

    def notes(self, if_incomplete: str) -> list[str]:
        """The run's validity notes, led by ``if_incomplete`` when the run did not finish, so
        figures from a partial run are never read as a whole run's."""
        return ([] if self.complete else [if_incomplete]) + list(self.validity_notes)

    @property
    def environment_label(self) -> str:
        env = self.environment
        return f"{env.host}/{env.client_region}" if env.client_region else env.host


def _float_column(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _target(label: str, meta: ProviderResult, cols: Columns) -> TargetColumns:
    """One target's arrays from its sample columns (``judged_columns``: contract-valid)."""
    metrics = {m: _float_column(cols[m]) for m in SAMPLE_METRICS if m != "itl_ms"}
    metrics["itl_ms"] = _float_column([v.get("mean") for v in cols["itl_ms"]])
    code = np.full(len(cols["seq"]), -1, dtype=np.int8)
    messages: dict[int, str] = {}
    index = {c: i for i, c in enumerate(ERROR_CLASSES)}
    for i, err in enumerate(cols["error"]):
        if err is not None:
            code[i] = index[err["class"]]
            messages[i] = err.get("message", "")
    return TargetColumns(
        label=label,
        provider=meta.provider,
        model=meta.model,
        endpoint=meta.endpoint,
        metrics=metrics,
        ok=code < 0,
        error_code=code,
        round=np.array(cols["round"], dtype=np.int64),
        cold=np.array(cols["cold"], dtype=bool),
        started_s=np.array(cols["started_s"], dtype=float),
        error_messages=messages,
        step=np.array([-1 if v is None else v for v in cols["step"]], dtype=np.int64),
        send_lag_ms=(_float_column(cols["send_s"]) - _float_column(cols["intended_send_s"])) * 1e3,
        buffered=np.array(cols["buffered"], dtype=bool),
    )


def columns_from_run(run: Run, path: str | None = None) -> RunColumns:
    """Columns of an already validated ``Run`` (e.g. one just measured or loaded from a journal)."""
    targets = {}
    for label, p in run.providers.items():
        cols = columns_of([s.model_dump(by_alias=True) for s in p.samples])
        cols["started_s"] = [s.started_at.timestamp() for s in p.samples]
        targets[label] = _target(label, p, cols)
    return _run_columns(run, targets, path)


def _run_columns(run: Run, targets: dict[str, TargetColumns], path: str | None) -> RunColumns:
    return RunColumns(
        run_id=run.run_id,
        kind=run.kind,
        created_at=run.created_at,
        complete=run.complete,
        valid=run.valid,
        validity_notes=list(run.validity_notes),
        environment=run.environment,
        config=run.config,
        targets=targets,
        path=path,
        timeseries=run.timeseries,
        steps=list(run.steps),
        extra=dict(run.extra),
        client_health=run.client_health,
    )


@contextlib.contextmanager
def _collection_paused():
    """No garbage collection while a run file's millions of objects are read: each collection
    would walk all of them (a third of the loading time), and none of them is garbage yet."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_columns(path: Any, store: RunStore | None = None) -> RunColumns:
    """Read a run file straight into columns; one clear sentence when it is not a valid run."""
    with _collection_paused():
        return _load_columns(path, store)


def _load_columns(path: Any, store: RunStore | None) -> RunColumns:
    store = store or open_store()
    if store.is_journal(path):
        return analysed(columns_from_run(store.load_path(path), str(path)))
    try:
        raw = store.read_bytes(path)
    except StoreError:  # e.g. only its journal is left
        return analysed(columns_from_run(store.load_path(path), str(path)))
    data = decode_json(raw, path)
    check_run_header(path, data)
    providers = data.get("providers", {})  # the contract's default: a run of no targets
    if not isinstance(providers, dict):
        raise StoreError(f"{path} is a malformed run file: providers is not an object.")
    header = {**data, "providers": {}}
    raw_samples: dict[str, list] = {}
    for label, p in providers.items():
        if not isinstance(p, dict) or not isinstance(p.get("samples", []), list):
            raise StoreError(f"{path} is a malformed run file: providers.{label:.60} is malformed.")
        raw_samples[label] = p.get("samples", [])
        header["providers"][label] = {**p, "samples": []}  # the samples are judged apart
    try:
        run = Run.model_validate(header)
    except ValidationError as exc:
        raise StoreError(
            f"{path} is a malformed run file: {first_validation_error(exc)}."
        ) from None
    targets = {}
    for label, meta in run.providers.items():
        cols = judged_columns(raw_samples[label], path, f"providers.{label:.60}.samples")
        targets[label] = _target(label, meta, cols)
    return analysed(_run_columns(run, targets, str(path)))


def analysed(cols: RunColumns) -> RunColumns:
    """``cols`` when its run measured requests; any other kind is refused with a sentence."""
    if cols.kind not in ANALYSED_KINDS:
        where = cols.path or cols.run_id
        raise StoreError(
            f"{where} is a {cols.kind} run; grade, compare, report and latency-budget read "
            "benchmark, latency_check, latency_budget and session runs."
        )
    return cols


def load_run_columns(
    ref: str | Path | Run | RunColumns | None = None, store: RunStore | None = None
) -> RunColumns:
    """Columns of the run ``ref`` names: None (latest), id, file name, path, Run or RunColumns.

    Only runs that measured requests are analysed; any other file is refused with a sentence.
    """
    if isinstance(ref, RunColumns):
        cols = ref
    elif isinstance(ref, Run):
        cols = columns_from_run(ref)
    else:
        store = store or open_store()
        path = store.resolve(str(ref) if ref is not None else None, kinds=DEFAULT_KINDS)
        cols = load_columns(path, store)
    return analysed(cols)
