"""Runs as numpy columns: the shape every analysis tool computes on.

A list of pydantic ``Sample`` objects is the data contract on disk; analysing a million of them
with per-sample Python loops is not affordable. ``RunColumns`` holds one float array per metric
(NaN where a sample has no value), an ok mask, error classes, rounds and start times per target,
so grade, compare, report and latency-budget are vectorised.

``load_run_columns`` accepts what a user or the MCP server passes (None for the latest run, a run
id, a file name under the results root, a path, a ``Run`` or ready ``RunColumns``). Run files are
read by a fast loader (``json.loads`` straight into columns, the run header validated by the data
contract, every sample checked for type and a slice validated in full): loading 100,000 samples
through pydantic alone takes seconds.
"""

from __future__ import annotations

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

# Per-sample numeric columns: the timings, throughput, per-request mean ITL and token counts.
# A session run holds one sample per Claude Code session (docs/contract.md#session-runs).
ANALYSED_KINDS = ("benchmark", "latency_check", "latency_budget", "monitor", "session", "capacity")
DEFAULT_KINDS = ("benchmark", "session")  # what grade, compare and report read by default
_FULLY_VALIDATED = 50  # samples validated by the data contract at each end of every target


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


def _float_column(values: list[Any], where: str) -> np.ndarray:
    try:
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    except (TypeError, ValueError):
        raise StoreError(f"{where} holds a value that is not a number.") from None


def _target_from_dicts(
    label: str, meta: dict[str, Any], samples: list[dict[str, Any]], where: str
) -> TargetColumns:
    n = len(samples)
    try:
        metrics = {
            m: _float_column([s.get(m) for s in samples], f"{where}, field {m}")
            for m in SAMPLE_METRICS
            if m != "itl_ms"
        }
        itl = [s.get("itl_ms") for s in samples]
        metrics["itl_ms"] = _float_column(
            [v.get("mean") if isinstance(v, dict) else None for v in itl], f"{where}, field itl_ms"
        )
        errors = [s.get("error") for s in samples]
        rounds = np.array([s["round"] for s in samples], dtype=np.int64)
        started = np.array(
            [datetime.fromisoformat(s["started_at"]).timestamp() for s in samples], dtype=float
        )
        cold = np.array([bool(s.get("cold", False)) for s in samples], dtype=bool)
        step = np.array([_int_or(s.get("step"), -1) for s in samples], dtype=np.int64)
        lag = _send_lag_ms(samples, where)
        buffered = np.array([s.get("buffered") is True for s in samples], dtype=bool)
    except (KeyError, AttributeError, TypeError, ValueError):
        raise StoreError(
            f"{where} holds a sample that is not an sre-latency sample (missing round or "
            "started_at)."
        ) from None
    code = np.full(n, -1, dtype=np.int8)
    messages: dict[int, str] = {}
    index = {c: i for i, c in enumerate(ERROR_CLASSES)}
    for i, err in enumerate(errors):
        if err is None:
            continue
        try:
            code[i] = index[err["class"]]
        except (KeyError, TypeError):
            raise StoreError(f"{where}: sample {i} has an error without a known class.") from None
        messages[i] = str(err.get("message", ""))
    return TargetColumns(
        label=label,
        provider=str(meta.get("provider")),
        model=str(meta.get("model")),
        endpoint=str(meta.get("endpoint")),
        metrics=metrics,
        ok=code < 0,
        error_code=code,
        round=rounds,
        cold=cold,
        started_s=started,
        error_messages=messages,
        step=step,
        send_lag_ms=lag,
        buffered=buffered,
    )


def _int_or(value: Any, default: int) -> int:
    return default if value is None else int(value)


def _send_lag_ms(samples: list[dict[str, Any]], where: str) -> np.ndarray:
    intended = _float_column([s.get("intended_send_s") for s in samples], where)
    sent = _float_column([s.get("send_s") for s in samples], where)
    return (sent - intended) * 1000.0


def columns_from_run(run: Run, path: str | None = None) -> RunColumns:
    """Columns of an already validated ``Run`` (e.g. one just measured or loaded from a journal)."""
    targets = {}
    for label, p in run.providers.items():
        dicts = [s.model_dump(mode="json", by_alias=True) for s in p.samples]
        targets[label] = _target_from_dicts(label, p.model_dump(), dicts, f"target {label!r}")
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


def load_columns(path: Any, store: RunStore | None = None) -> RunColumns:
    """Read a run file straight into columns; one clear sentence when it is not a valid run."""
    store = store or open_store()
    if store.is_journal(path):
        return analysed(columns_from_run(store.load_path(path), str(path)))
    try:
        raw = store.read_bytes(path)
    except StoreError:  # e.g. only its journal is left
        return analysed(columns_from_run(store.load_path(path), str(path)))
    data = decode_json(raw, path)
    check_run_header(path, data)
    providers = data.get("providers")
    if not isinstance(providers, dict):
        raise StoreError(f"{path} is a malformed run file: providers is not an object.")
    header = {**data, "providers": {}}
    raw_samples: dict[str, list] = {}
    for label, p in providers.items():
        if not isinstance(p, dict) or not isinstance(p.get("samples", []), list):
            raise StoreError(f"{path} is a malformed run file: providers.{label} is malformed.")
        raw_samples[label] = p.get("samples", [])
        head = raw_samples[label][:_FULLY_VALIDATED] + raw_samples[label][-_FULLY_VALIDATED:]
        header["providers"][label] = {**p, "samples": head}
    try:
        run = Run.model_validate(header)
    except ValidationError as exc:
        raise StoreError(
            f"{path} is a malformed run file: {first_validation_error(exc)}."
        ) from None
    targets = {
        label: _target_from_dicts(
            label, data["providers"][label], raw_samples[label], f"{path}, target {label!r}"
        )
        for label in run.providers
    }
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
