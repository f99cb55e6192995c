"""Aggregate throughput: requests/s, output tokens/s and goodput/s, per target and overall.

Rates are taken over the measured span, from the first request's start to the last one's end:
``request_rate_per_s`` counts every request, ``output_tokens_per_s`` the output tokens of the
successful ones, and ``goodput_per_s`` the requests that met every per-request SLO of the
table's ``[goodput]`` (a failed request never does). One function for every caller: the load
section of the report, sweeps and the capacity search.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sre_latency.analysis.columns import RunColumns, TargetColumns
from sre_latency.analysis.load_models import ALL, Throughput
from sre_latency.core.contract import Run, Sample
from sre_latency.core.metrics import HIGHER_IS_BETTER


def good_mask(t: TargetColumns, goodput: Mapping[str, float]) -> np.ndarray:
    """The requests that met every bound of ``goodput`` (≤, or ≥ for a throughput metric)."""
    good = t.ok.copy()
    for metric, bound in goodput.items():
        values = t.metrics.get(metric)
        if values is None:
            continue
        with np.errstate(invalid="ignore"):
            good &= (values >= bound) if metric in HIGHER_IS_BETTER else (values <= bound)
    return good


def _span(parts: list[tuple[TargetColumns, np.ndarray]]) -> float | None:
    starts = [t.started_s[m] for t, m in parts if m.any()]
    if not starts:
        return None
    ends = [t.started_s[m] + np.nan_to_num(t.metrics["total_ms"][m]) / 1000 for t, m in parts
            if m.any()]  # fmt: skip
    span = float(np.concatenate(ends).max() - np.concatenate(starts).min())
    return span if span > 0 else None


def throughput(label: str, parts: list[tuple[TargetColumns, np.ndarray]],
               goodput: Mapping[str, float]) -> Throughput:  # fmt: skip
    """The throughput of the requests ``mask`` selects in each ``(target, mask)``."""
    n = sum(int(m.sum()) for _, m in parts)
    good = sum(int((good_mask(t, goodput) & m).sum()) for t, m in parts)
    tokens = sum(float(np.nansum(t.metrics["output_tokens"][m & t.ok])) for t, m in parts)
    span = _span(parts)

    def per_s(value: float) -> float | None:
        return value / span if span else None

    return Throughput(
        label=label, n=n, good=good, span_s=span, request_rate_per_s=per_s(n),
        output_tokens_per_s=per_s(tokens), goodput_per_s=per_s(good),
        good_share=good / n if n else None,
    )  # fmt: skip


def run_throughput(cols: RunColumns, goodput: Mapping[str, float]) -> list[Throughput]:
    """One row per target, and one for all targets together when there are several."""
    everything = [(t, np.ones(t.n, dtype=bool)) for t in cols.targets.values()]
    rows = [throughput(t.label, [(t, m)], goodput) for t, m in everything]
    if len(rows) > 1:
        rows.append(throughput(ALL, everything, goodput))
    return rows


def _light_columns(label: str, samples: list[Sample], metrics: set[str]) -> TargetColumns:
    """Just the columns throughput reads, straight from the samples (no JSON round trip)."""
    n = len(samples)
    ok = np.array([s.error is None for s in samples], dtype=bool)
    cols = {}
    for m in metrics:
        values = [getattr(s, m, None) for s in samples]
        cols[m] = np.array([np.nan if v is None else v for v in values], dtype=float)
    started = np.array([s.started_at.timestamp() for s in samples], dtype=float)
    empty = np.zeros(n, dtype=np.int64)
    return TargetColumns(label, "", "", "", cols, ok, np.where(ok, -1, 0).astype(np.int8),
                         empty, np.zeros(n, dtype=bool), started)  # fmt: skip


def throughput_of_run(run: Run, goodput: Mapping[str, float]) -> list[Throughput]:
    """``run_throughput`` of a run in memory (a benchmark's result, a listing line)."""
    metrics = {"total_ms", "output_tokens", *goodput}
    everything = [
        (_light_columns(label, p.samples, metrics), np.ones(len(p.samples), dtype=bool))
        for label, p in run.providers.items()
    ]
    rows = [throughput(t.label, [(t, m)], goodput) for t, m in everything]
    if len(rows) > 1:
        rows.append(throughput(ALL, everything, goodput))
    return rows
