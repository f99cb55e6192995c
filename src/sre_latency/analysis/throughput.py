"""Aggregate throughput: requests, output tokens and good requests per second, in one place.

Every rate the tools print (the benchmark table, ``--json``, the run summary, the report and its
plots, and the per-second series built on top) comes from ``rates``, so two figures named
"req/s" can never disagree. A run's span runs from its first request's start to its last
request's end (start + total time), as AIPerf and guidellm measure a benchmark's duration. A
target's rates are taken over the run's span, so per-target rates add up to the overall rate.
A span needs two requests: one request has a latency, not a rate.

Goodput counts requests that succeeded and met every per-request SLO (``meets_slo``), so it is
a rate of good requests per second, beside the share of good requests ``grade`` reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field

from sre_latency.core.metrics import HIGHER_IS_BETTER


class Rates(BaseModel):
    """Requests, output tokens and good requests per second over a span of the run."""

    n: int = Field(description="requests started in the span, failed ones included")
    ok: int
    good: int | None = Field(None, description="requests meeting every per-request SLO")
    output_tokens: int = Field(description="output tokens of the successful requests")
    span_s: float | None = Field(description="seconds the rates are taken over")
    request_rate_per_s: float | None
    output_tokens_per_s: float | None = Field(description="across all streams")
    goodput_per_s: float | None = Field(None, description="good requests per second")


@dataclass(frozen=True)
class Requests:
    """The columns throughput needs, for any set of requests (one target, or a whole run)."""

    started_s: np.ndarray  # float64 epoch seconds
    total_ms: np.ndarray  # float64, NaN when unknown
    ok: np.ndarray  # bool
    output_tokens: np.ndarray  # float64, NaN when unknown
    good: np.ndarray | None = None  # bool: met every per-request SLO

    @property
    def ends_s(self) -> np.ndarray:
        return self.started_s + np.nan_to_num(self.total_ms, nan=0.0) / 1000.0

    @classmethod
    def join(cls, parts: Iterable[Requests]) -> Requests:
        parts = list(parts)
        good = None if any(p.good is None for p in parts) else [p.good for p in parts]
        return cls(
            np.concatenate([p.started_s for p in parts]) if parts else np.empty(0),
            np.concatenate([p.total_ms for p in parts]) if parts else np.empty(0),
            np.concatenate([p.ok for p in parts]) if parts else np.empty(0, dtype=bool),
            np.concatenate([p.output_tokens for p in parts]) if parts else np.empty(0),
            np.concatenate(good) if good else (None if good is None else np.empty(0, bool)),
        )

    def select(self, mask: np.ndarray) -> Requests:
        good = None if self.good is None else self.good[mask]
        return Requests(
            self.started_s[mask], self.total_ms[mask], self.ok[mask], self.output_tokens[mask],
            good,
        )  # fmt: skip


def span_of(requests: Requests) -> tuple[float, float] | None:
    """(first start, last end) in epoch seconds; None with fewer than two requests."""
    if requests.started_s.size < 2:
        return None
    start, end = float(requests.started_s.min()), float(requests.ends_s.max())
    return (start, end) if end > start else None


def rates(requests: Requests, span: tuple[float, float] | None = None) -> Rates:
    """The rates of ``requests`` over ``span`` (default: their own span)."""
    span = span if span is not None else span_of(requests)
    seconds = span[1] - span[0] if span is not None else None
    n, ok = int(requests.ok.size), int(requests.ok.sum())
    tokens = int(np.nansum(requests.output_tokens[requests.ok])) if ok else 0
    good = int(requests.good.sum()) if requests.good is not None else None

    def per_s(count: int | None) -> float | None:
        return None if count is None or not seconds or seconds <= 0 else count / seconds

    return Rates(
        n=n, ok=ok, good=good, output_tokens=tokens, span_s=seconds,
        request_rate_per_s=per_s(n), output_tokens_per_s=per_s(tokens),
        goodput_per_s=per_s(good),
    )  # fmt: skip


def windows(
    requests: Requests, width_s: float, span: tuple[float, float] | None = None
) -> list[tuple[float, float, Rates]]:
    """``(start_s, covered_s, rates)`` per window of ``width_s`` from the span's start.

    Requests are placed by their start; each window's rates are taken over the part of it the
    run covered, so the last, partial window is not diluted and the windows' rates weighted by
    their covered seconds give the overall rate. One pass over the columns (``bincount``).
    """
    span = span if span is not None else span_of(requests)
    if span is None:
        return []
    t0, t1 = span
    count = max(int(np.ceil((t1 - t0) / width_s)), 1)
    idx = np.clip(((requests.started_s - t0) // width_s).astype(np.int64), 0, count - 1)

    def per_window(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(idx, weights=weights, minlength=count)

    n, ok = per_window(), per_window(requests.ok.astype(float))
    tokens = per_window(np.where(requests.ok, np.nan_to_num(requests.output_tokens), 0.0))
    good = per_window(requests.good.astype(float)) if requests.good is not None else None
    out = []
    for i in range(count):
        w0 = t0 + i * width_s
        covered = min(w0 + width_s, t1) - w0
        g = int(good[i]) if good is not None else None
        r = Rates(
            n=int(n[i]), ok=int(ok[i]), good=g, output_tokens=int(tokens[i]), span_s=covered,
            request_rate_per_s=n[i] / covered if covered > 0 else None,
            output_tokens_per_s=tokens[i] / covered if covered > 0 else None,
            goodput_per_s=g / covered if covered > 0 and g is not None else None,
        )  # fmt: skip
        out.append((i * width_s, covered, r))
    return out


def meets_slo(
    metrics: Mapping[str, np.ndarray], ok: np.ndarray, slo: Mapping[str, float]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Which requests met every per-request SLO (≤ a bound, ≥ for throughput), and each one.

    A failed request meets none; a missing value (NaN) does not meet its SLO.
    """
    good = ok.copy()
    each = {}
    for metric, bound in slo.items():
        col = metrics[metric]
        with np.errstate(invalid="ignore"):
            meets = (col >= bound) if metric in HIGHER_IS_BETTER else (col <= bound)
        meets &= ok
        each[metric] = meets
        good &= meets
    return good, each


def requests_from_samples(samples, slo: Mapping[str, float] | None = None) -> Requests:
    """``Requests`` of a list of ``contract.Sample`` (a run just measured, not yet columns)."""

    def column(field: str) -> np.ndarray:
        if field == "itl_ms":  # per request: the mean gap, as in the run's columns
            values = [s.itl_ms.mean for s in samples]
        else:
            values = [getattr(s, field) for s in samples]
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    ok = np.array([s.error is None for s in samples], dtype=bool)
    good = None
    if slo is not None:
        good, _ = meets_slo({m: column(m) for m in slo}, ok, slo)
    return Requests(
        np.array([s.started_at.timestamp() for s in samples], dtype=float),
        column("total_ms"), ok, column("output_tokens"), good,
    )  # fmt: skip


def requests_from_columns(target, slo: Mapping[str, float] | None = None) -> Requests:
    """``Requests`` of one ``analysis.columns.TargetColumns``."""
    good = None if slo is None else meets_slo(target.metrics, target.ok, slo)[0]
    return Requests(
        target.started_s, target.metrics["total_ms"], target.ok, target.metrics["output_tokens"],
        good,
    )  # fmt: skip


def rate_text(value: float | None) -> str:
    """A rate with as many digits as it needs: ``0.25``, ``2.86``, ``28.6``, ``1,234``."""
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def describe(r: Rates) -> str:
    """``"2.86 req/s, 710 output tok/s, goodput 2.86 req/s (n=20 over 7.00 s)"``."""
    if r.request_rate_per_s is None:
        return f"no rate (n={r.n}: a rate needs two requests over a span of time)"
    text = (
        f"{rate_text(r.request_rate_per_s)} req/s, {rate_text(r.output_tokens_per_s)} output tok/s"
    )
    if r.goodput_per_s is not None:
        text += f", goodput {rate_text(r.goodput_per_s)} req/s"
    return text + f" (n={r.n} over {r.span_s:.2f} s)"
