"""Per-second windows of a run's targets (docs/contract.md#time-series), computed from samples.

Each sample is an interval on one clock: it starts at ``started_at``, shows its first token
``ttft_ms`` later and ends ``total_ms`` after its start. A window counts the requests that
started in it (and their TTFT p50/p99), the requests that finished in it (and their errors by
class), the mean number in flight over it, and the output tokens generated in it (each request's
tokens spread evenly from its first token to its end). Time-weighted figures come from running
integrals over sorted interval ends, so a million samples take a moment, not a loop each.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from sre_latency.core.contract import Sample, Window

WINDOW_S = 1.0
MAX_WINDOWS = 100_000  # a run longer than ~28 h at 1 s gets wider windows


@dataclass(frozen=True)
class Intervals:
    """One target's requests as arrays: start (s after the origin), total and TTFT (ms, NaN
    when absent), output tokens, and the error class of each failed one (None when ok)."""

    start_s: np.ndarray
    total_ms: np.ndarray
    ttft_ms: np.ndarray
    tokens: np.ndarray
    error_class: Sequence[str | None]

    @classmethod
    def of_samples(cls, samples: Sequence[Sample], origin: datetime) -> Intervals:
        return cls(
            np.array([(s.started_at - origin).total_seconds() for s in samples], dtype=float),
            np.array([np.nan if s.total_ms is None else s.total_ms for s in samples], dtype=float),
            np.array([np.nan if s.ttft_ms is None else s.ttft_ms for s in samples], dtype=float),
            np.array([s.output_tokens or 0 for s in samples], dtype=float),
            [s.error.class_ if s.error is not None else None for s in samples],
        )

    def arrays(self) -> dict[str, np.ndarray]:
        ok = np.array([c is None for c in self.error_class], dtype=bool)
        end = self.start_s + np.nan_to_num(self.total_ms) / 1000.0
        ttft = np.where(ok, self.ttft_ms, np.nan)
        return {"start": self.start_s, "end": end, "first": self.start_s + ttft / 1000.0,
                "ttft": ttft, "tokens": np.nan_to_num(self.tokens), "ok": ok}  # fmt: skip


def _integral(bounds: np.ndarray, lo: np.ndarray, hi: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``Σ weight·clip(t − lo, 0, hi − lo)`` at each ``t`` in ``bounds`` (lo ≤ hi)."""

    def ramp(points: np.ndarray) -> np.ndarray:  # Σ weight·max(0, t − point)
        order = np.argsort(points)
        p, w = points[order], weight[order]
        cw = np.concatenate(([0.0], np.cumsum(w)))
        cwp = np.concatenate(([0.0], np.cumsum(w * p)))
        k = np.searchsorted(p, bounds, side="left")
        return bounds * cw[k] - cwp[k]

    return ramp(lo) - ramp(hi)


def _percentiles(windows: np.ndarray, values: np.ndarray, n_windows: int) -> list[tuple]:
    """``(n, p50, p99)`` of ``values`` per window (numpy's linear percentile), all windows at
    once: one sort by (window, value), then each group's order statistics by index."""
    out: list[tuple] = [(0, None, None)] * n_windows
    if values.size == 0:
        return out
    order = np.lexsort((values, windows))
    w, v = windows[order], values[order]
    starts = np.concatenate(([0], np.flatnonzero(np.diff(w)) + 1))
    counts = np.diff(np.concatenate((starts, [w.size])))
    quantiles = [_group_quantile(v, starts, counts, q) for q in (0.50, 0.99)]
    for k, n, p50, p99 in zip(w[starts].tolist(), counts.tolist(), *(q.tolist() for q in quantiles),
                              strict=True):  # fmt: skip
        out[k] = (n, p50, p99)
    return out


def _group_quantile(v: np.ndarray, starts: np.ndarray, counts: np.ndarray, q: float) -> np.ndarray:
    """The linear ``q`` quantile of each sorted group ``v[start:start + count]``."""
    position = (counts - 1) * q
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, counts - 1)
    lo, hi = v[starts + below], v[starts + above]
    return lo + (hi - lo) * (position - below)


def target_windows(samples_by_target: Mapping[str, Sequence[Sample]], origin: datetime,
                   window_s: float = WINDOW_S) -> tuple[float, dict[str, list[Window]]]:  # fmt: skip
    """``(window_s, {label: [Window]})`` over the span every target's samples cover."""
    return windows_of(
        {label: Intervals.of_samples(s, origin) for label, s in samples_by_target.items() if s},
        window_s,
    )


def windows_of(intervals: Mapping[str, Intervals],
               window_s: float = WINDOW_S) -> tuple[float, dict[str, list[Window]]]:  # fmt: skip
    """The windows of each target's ``Intervals``, on one grid for every target."""
    data = {label: i.arrays() for label, i in intervals.items() if len(i.error_class)}
    if not data:
        return window_s, {}
    first = min(float(d["start"].min()) for d in data.values())
    last = max(float(d["end"].max()) for d in data.values())
    window_s, k0, n_windows = window_grid(first, last, window_s)
    bounds = (k0 + np.arange(n_windows + 1)) * window_s
    return window_s, {
        label: _windows(d, bounds, k0, window_s, intervals[label].error_class)
        for label, d in data.items()
    }


def window_grid(
    first_s: float, last_s: float, window_s: float = WINDOW_S
) -> tuple[float, int, int]:
    """``(window_s, k0, n_windows)``: the grid from ``first_s`` to ``last_s`` (seconds after the
    origin), windows doubled until there are at most ``MAX_WINDOWS``."""
    while (last_s - first_s) / window_s > MAX_WINDOWS:
        window_s *= 2
    k0 = math.floor(first_s / window_s)
    return window_s, k0, math.floor(last_s / window_s) - k0 + 1


def _windows(d: dict[str, np.ndarray], bounds: np.ndarray, k0: int, window_s: float,
             error_class: Sequence[str | None]) -> list[Window]:  # fmt: skip
    n_windows = bounds.size - 1
    start_w = np.clip(np.floor(d["start"] / window_s).astype(np.int64) - k0, 0, n_windows - 1)
    end_w = np.clip(np.floor(d["end"] / window_s).astype(np.int64) - k0, 0, n_windows - 1)
    started = np.bincount(start_w, minlength=n_windows)
    finished = np.bincount(end_w, minlength=n_windows)
    busy = _integral(bounds, d["start"], d["end"], np.ones(d["start"].size))
    in_flight = np.diff(busy) / window_s
    first = np.where(np.isnan(d["first"]), d["end"], np.minimum(d["first"], d["end"]))
    span = d["end"] - first
    spread = span > 0
    rate = np.where(spread, d["tokens"] / np.where(spread, span, 1.0), 0.0)
    tokens = np.diff(_integral(bounds, first, d["end"], rate))
    tokens += np.bincount(end_w, weights=np.where(spread, 0.0, d["tokens"]), minlength=n_windows)
    ok_ttft = d["ok"] & ~np.isnan(d["ttft"])
    ttft = _percentiles(start_w[ok_ttft], d["ttft"][ok_ttft], n_windows)
    errors: list[dict[str, int]] = [{} for _ in range(n_windows)]
    for i in np.flatnonzero(~d["ok"]):
        cls = str(error_class[int(i)])
        bucket = errors[int(end_w[i])]
        bucket[cls] = bucket.get(cls, 0) + 1
    return [
        Window(
            t_s=t, started=a, finished=b, errors_by_class=e, in_flight_mean=f,
            output_tokens_per_s=r, ttft_n=q[0], ttft_p50_ms=q[1], ttft_p99_ms=q[2],
        )
        for t, a, b, e, f, r, q in zip(bounds[:-1].tolist(), started.tolist(), finished.tolist(),
                                       errors, in_flight.tolist(), (tokens / window_s).tolist(),
                                       ttft, strict=True)
    ]  # fmt: skip
