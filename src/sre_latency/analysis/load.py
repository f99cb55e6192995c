"""The load view of a run: throughput, send lag, steps (sweeps, capacity), watched processes.

``load_report`` reads what a run measured under load: aggregate throughput per target and
overall (``analysis.throughput``), how far open-loop sends fell behind their plan, one row per
step and target of a sweep or capacity search (offered load against TTFT p50/p99 and goodput:
the latency–throughput curve), and a summary of each watched process (the system under test,
the client). Pure: columns in, a pydantic model out.
"""

from __future__ import annotations

import numpy as np

from sre_latency.analysis.columns import RunColumns, TargetColumns
from sre_latency.analysis.load_models import (
    ALL,
    LoadReport,
    ProcessSummary,
    StepFigures,
    TargetRates,
)
from sre_latency.analysis.throughput import (
    Requests,
    describe,
    rates,
    requests_from_columns,
    requests_from_samples,
    span_of,
)
from sre_latency.core.contract import LoadStep, ProcessWindow, Run, TimeSeries
from sre_latency.core.stats import percentile
from sre_latency.core.timeseries import Intervals, window_grid, windows_of
from sre_latency.errors import ERROR_CLASSES


def step_label(step: LoadStep) -> str:
    if step.rate_per_s is not None:
        return f"{step.rate_per_s:g} req/s"
    return f"concurrency {step.concurrency}"


def _achieved(t: TargetColumns, mask: np.ndarray) -> float | None:
    starts = np.sort(t.started_s[mask])
    if starts.size < 2 or starts[-1] <= starts[0]:
        return None
    return float((starts.size - 1) / (starts[-1] - starts[0]))


def _lag_p99(t: TargetColumns, mask: np.ndarray) -> float | None:
    if t.send_lag_ms is None:
        return None
    lag = t.send_lag_ms[mask]
    lag = lag[~np.isnan(lag)]
    return percentile(lag, "p99") if lag.size else None


def _step_rows(cols: RunColumns, goodput: dict[str, float]) -> list[StepFigures]:
    rows = []
    for step in cols.steps:
        for t in cols.targets.values():
            if t.step is None:
                continue
            mask = t.step == step.index
            ttft = np.sort(t.ok_values("ttft_ms", mask))
            tp = rates(requests_from_columns(t, goodput).select(mask))
            n, ok = int(mask.sum()), int((mask & t.ok).sum())
            codes = t.error_code[mask & ~t.ok]
            codes, counts = np.unique(codes, return_counts=True)
            errors = {ERROR_CLASSES[int(c)]: int(k) for c, k in zip(codes, counts, strict=True)}
            rows.append(StepFigures(
                step=step.index, label=step_label(step), target=t.label, loop=step.loop,
                offered_rate_per_s=step.rate_per_s, concurrency=step.concurrency, n=n, ok=ok,
                error_rate=(n - ok) / n if n else None, errors_by_class=errors,
                achieved_rate_per_s=_achieved(t, mask), ttft_n=int(ttft.size),
                ttft_p50_ms=percentile(ttft, "p50", True), ttft_p99_ms=percentile(ttft, "p99", True),
                goodput_per_s=tp.goodput_per_s, output_tokens_per_s=tp.output_tokens_per_s,
                send_lag_p99_ms=_lag_p99(t, mask), verdict=step.verdict,
            ))  # fmt: skip
    return rows


def _process(name: str, series: list[ProcessWindow]) -> ProcessSummary:
    cpu = [w.cpu_pct for w in series if w.cpu_pct is not None]

    def top(values: list[int | None]) -> int | None:
        present = [v for v in values if v is not None]
        return max(present) if present else None

    return ProcessSummary(
        name=name, samples=len(series), cpu_pct_mean=sum(cpu) / len(cpu) if cpu else None,
        cpu_pct_max=max(cpu) if cpu else None, rss_max_bytes=top([w.rss_bytes for w in series]),
        threads_max=top([w.threads for w in series]),
        open_fds_max=top([w.open_fds for w in series]),
    )  # fmt: skip


def _send_lag(cols: RunColumns) -> tuple[float | None, float | None]:
    lags = [t.send_lag_ms[~np.isnan(t.send_lag_ms)] for t in cols.targets.values()
            if t.send_lag_ms is not None]  # fmt: skip
    lag = np.concatenate(lags) if lags else np.array([])
    if not lag.size:
        return None, None
    return percentile(lag, "p50"), percentile(lag, "p99")


def labelled(parts: dict[str, Requests]) -> list[TargetRates]:
    """One row per target over the whole run's span (so per-target rates add up), and one for
    all targets together when there are several."""
    everything = Requests.join(parts.values())
    span = span_of(everything)
    rows = [TargetRates(label=label, **rates(r, span).model_dump()) for label, r in parts.items()]
    if len(rows) > 1:
        rows.append(TargetRates(label=ALL, **rates(everything, span).model_dump()))
    return rows


def run_rates(run: Run, goodput: dict[str, float]) -> list[TargetRates]:
    """The rates of a run in memory (a benchmark's result), per target and overall."""
    return labelled({label: requests_from_samples(p.samples, goodput)
                     for label, p in run.providers.items()})  # fmt: skip


def _summary(report: LoadReport) -> str:
    overall = report.throughput[-1] if report.throughput else None
    if overall is None or overall.request_rate_per_s is None:
        return "no request finished, so there is no throughput to report."
    text = f"{overall.label}: {describe(overall)}"
    if overall.good is not None:
        text += f"; {overall.good} of {overall.n} requests met the per-request SLO"
    if report.late_sends:
        text += f"; {report.late_sends} planned sends left out, too late (schedule_lag)"
    if report.capacity:
        text += f"; {report.capacity}"
    return text


def load_report(cols: RunColumns, goodput: dict[str, float]) -> LoadReport:
    """The load view of ``cols`` with goodput judged by the per-request SLO ``goodput``."""
    config = cols.config
    ts = cols.timeseries
    window_s, windows = (ts.window_s, max((len(w) for w in ts.targets.values()), default=0)) \
        if ts is not None else _grid(cols)  # fmt: skip
    health = cols.client_health
    lag50, lag99 = _send_lag(cols)
    targets = list(cols.targets.values())
    capacity = cols.extra.get("capacity", {})
    report = LoadReport(
        open_loop=lag99 is not None,
        offered_rate_per_s=getattr(config, "rate_per_s", None),
        arrival=getattr(config, "arrival", None),
        window_s=window_s,
        windows=windows,
        throughput=labelled({t.label: requests_from_columns(t, goodput) for t in targets}),
        send_lag_p50_ms=lag50,
        send_lag_p99_ms=lag99,
        late_sends=health.late_sends if health else None,
        steps=_step_rows(cols, goodput),
        processes=[_process(k, v) for k, v in (ts.processes.items() if ts else ())],
        capacity=capacity.get("answer") if isinstance(capacity, dict) else None,
        summary="",
    )
    report.summary = _summary(report)
    return report


def _grid(cols: RunColumns) -> tuple[float | None, int]:
    """The window width and count ``series_of`` would give, without building the windows: the
    load section names them, and a long run has tens of thousands."""
    origin = cols.created_at.timestamp()
    spans = [(t.started_s - origin, t.started_s - origin + np.nan_to_num(t.metrics["total_ms"]) / 1e3)
             for t in cols.targets.values() if t.n]  # fmt: skip
    if not spans:
        return None, 0
    first = min(float(start.min()) for start, _ in spans)
    last = max(float(end.max()) for _, end in spans)
    window_s, _, n_windows = window_grid(first, last)
    return window_s, n_windows


def series_of(cols: RunColumns) -> TimeSeries | None:
    """The run's saved time series, or one rebuilt from its samples (a run read from its
    journal after a crash has none saved)."""
    if cols.timeseries is not None:
        return cols.timeseries
    origin = cols.created_at.timestamp()
    intervals = {}
    for t in cols.targets.values():
        if t.n:
            classes = [None if c < 0 else ERROR_CLASSES[int(c)] for c in t.error_code]
            intervals[t.label] = Intervals(t.started_s - origin, t.metrics["total_ms"],
                                           t.metrics["ttft_ms"], t.metrics["output_tokens"],
                                           classes)  # fmt: skip
    if not intervals:
        return None
    window_s, windows = windows_of(intervals)
    return TimeSeries(origin=cols.created_at, window_s=window_s, targets=windows)
