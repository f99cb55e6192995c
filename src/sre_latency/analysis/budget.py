"""Where each millisecond of a request goes, per provider, warm and cold side by side.

A successful request's ``total_ms`` is cut into phases that add up exactly (all from one
``perf_counter_ns`` clock, docs/contract.md#metrics)::

    dns          getaddrinfo for the host, timed just before a cold request (0 when warm)
    tcp_connect  the HTTP library's TCP connect minus the DNS lookup (0 on a reused connection)
    tls          TLS handshake (0 on a reused connection)
    send         the rest until the request body was written (pool, headers, body)
    server_wait  request written → response headers (the server's queue and prefill start)
    first_token  response headers → first content delta
    generation   first → last content delta
    stream_end   last content delta → end of stream

Bedrock reports its own latency, so its requests also split into ``server_latency_ms`` and
``network_overhead_ms``. Providers are compared phase by phase on paired samples (same round,
same connection mode) with an order-statistic CI on the median difference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from sre_latency.analysis.columns import RunColumns, TargetColumns, load_run_columns
from sre_latency.core.contract import Run
from sre_latency.core.stats import paired_delta_ci, percentile
from sre_latency.store import RunStore

PHASES: tuple[tuple[str, str], ...] = (
    ("dns", "DNS lookup (cold connections)"),
    ("tcp_connect", "TCP connect (cold connections)"),
    ("tls", "TLS handshake (cold connections)"),
    ("send", "request written"),
    ("server_wait", "request sent → response headers"),
    ("first_token", "headers → first token"),
    ("generation", "first → last token"),
    ("stream_end", "last token → end of stream"),
)
MODES = ("warm", "cold")


class Phase(BaseModel):
    phase: str
    description: str
    n: int
    mean_ms: float | None
    p50_ms: float | None
    p90_ms: float | None
    start_ms: float | None  # waterfall: where the phase starts, on the mean timeline
    share_of_total: float | None = Field(description="mean phase / mean total, a fraction 0..1")


class ModeBudget(BaseModel):
    mode: str  # "warm" (reused connections) or "cold" (a fresh connection per request)
    n: int
    total_mean_ms: float | None
    total_p50_ms: float | None
    phases: list[Phase]
    server_latency_mean_ms: float | None = None  # Bedrock's own figure
    network_overhead_mean_ms: float | None = None  # total − server latency


class TargetBudget(BaseModel):
    label: str
    provider: str
    model: str
    modes: list[ModeBudget]
    cold_penalty_ms: float | None  # mean total cold − warm, when both were measured


class PhaseDelta(BaseModel):
    """Median paired difference ``b − a`` of one phase, with its 95 % CI."""

    a: str
    b: str
    mode: str
    phase: str
    paired_n: int
    delta_p50_ms: float | None
    ci95_low: float | None
    ci95_high: float | None
    significant: bool
    statement: str


class LatencyBudgetResult(BaseModel):
    run_id: str
    run_path: str | None
    complete: bool
    valid: bool
    notes: list[str]
    targets: list[TargetBudget]
    deltas: list[PhaseDelta]
    summary: str


def phase_columns(t: TargetColumns) -> dict[str, np.ndarray]:
    """Per-sample phase durations (ms) that add up to ``total_ms``; NaN for failed samples."""
    m = t.metrics
    total, ttft, ttfb = m["total_ms"], m["ttft_ms"], m["ttfb_ms"]
    connect = np.nan_to_num(m["connect_ms"])
    tls = np.nan_to_num(m["tls_ms"])
    dns = np.minimum(np.nan_to_num(m["dns_ms"]), connect)
    sent = np.where(np.isnan(m["request_sent_ms"]), connect + tls, m["request_sent_ms"])
    generation = np.nan_to_num(m["generation_ms"])
    phases = {
        "dns": dns,
        "tcp_connect": connect - dns,
        "tls": tls,
        "send": np.maximum(sent - connect - tls, 0.0),
        "server_wait": ttfb - np.maximum(sent, connect + tls),
        "first_token": ttft - ttfb,
        "generation": generation,
        "stream_end": np.maximum(total - ttft - generation, 0.0),
    }
    bad = ~t.ok | np.isnan(total) | np.isnan(ttft) | np.isnan(ttfb)
    for v in phases.values():
        v[bad] = np.nan
    return phases


def _mode_mask(t: TargetColumns, mode: str) -> np.ndarray:
    return t.cold if mode == "cold" else ~t.cold


def _mode_budget(t: TargetColumns, phases: dict[str, np.ndarray], mode: str) -> ModeBudget | None:
    mask = _mode_mask(t, mode)
    if not mask.any():
        return None
    good = mask & ~np.isnan(phases["generation"])
    totals = t.metrics["total_ms"][good]
    mean_total = percentile(totals, "mean")
    out, start = [], 0.0
    for name, description in PHASES:
        v = phases[name][good]
        mean = percentile(v, "mean")
        out.append(
            Phase(
                phase=name,
                description=description,
                n=int(v.size),
                mean_ms=mean,
                p50_ms=percentile(v, "p50"),
                p90_ms=percentile(v, "p90"),
                start_ms=start if mean is not None else None,
                share_of_total=mean / mean_total if mean is not None and mean_total else None,
            )
        )
        start += mean or 0.0
    return ModeBudget(
        mode=mode,
        n=int(good.sum()),
        total_mean_ms=mean_total,
        total_p50_ms=percentile(totals, "p50"),
        phases=out,
        server_latency_mean_ms=percentile(t.metrics["server_latency_ms"][good], "mean"),
        network_overhead_mean_ms=percentile(t.metrics["network_overhead_ms"][good], "mean"),
    )


def _paired(a: TargetColumns, pa: dict, b: TargetColumns, pb: dict, mode: str) -> list[PhaseDelta]:
    ma, mb = _mode_mask(a, mode), _mode_mask(b, mode)
    ia, ib = np.flatnonzero(ma), np.flatnonzero(mb)
    _, ka, kb = np.intersect1d(a.round[ia], b.round[ib], return_indices=True)
    ia, ib = ia[ka], ib[kb]
    out = []
    for name, _ in PHASES:
        va, vb = pa[name][ia], pb[name][ib]
        both = ~np.isnan(va) & ~np.isnan(vb)
        if both.sum() < 2 or (not va[both].any() and not vb[both].any()):
            continue  # phase absent on both sides (e.g. DNS on warm connections)
        ci = paired_delta_ci(va[both], vb[both], "p50")
        assert ci is not None
        delta, lo, hi = ci
        significant = lo > 0 or hi < 0
        verb = "adds" if delta >= 0 else "saves"
        statement = (
            f"{b.label} {verb} {abs(delta):.1f} ms [{lo:.1f}, {hi:.1f}] on {name} vs {a.label} "
            f"({mode}, n={int(both.sum())} pairs)"
        )
        out.append(
            PhaseDelta(
                a=a.label, b=b.label, mode=mode, phase=name, paired_n=int(both.sum()),
                delta_p50_ms=delta, ci95_low=lo, ci95_high=hi, significant=significant,
                statement=statement,
            )
        )  # fmt: skip
    return out


def _summary(cols: RunColumns, targets: list[TargetBudget], deltas: list[PhaseDelta]) -> str:
    parts = []
    for t in targets:
        warm = next((m for m in t.modes if m.mode == "warm"), t.modes[0] if t.modes else None)
        if warm is None or warm.total_mean_ms is None:
            parts.append(f"{t.label}: no successful request")
            continue
        big = max(warm.phases, key=lambda p: p.mean_ms or 0.0)
        text = (
            f"{t.label}: {warm.total_mean_ms:.0f} ms mean ({warm.mode}), most in {big.phase} "
            f"({big.mean_ms:.0f} ms)"
        )
        if t.cold_penalty_ms is not None:
            text += f", cold connections add {t.cold_penalty_ms:.0f} ms"
        parts.append(text)
    sig = [d for d in deltas if d.significant]
    if sig:
        top = max(sig, key=lambda d: abs(d.delta_p50_ms or 0.0))
        parts.append(top.statement)
    tail = "" if cols.complete else " (run incomplete)"
    return "; ".join(parts) + tail + "."


def latency_budget_from_run(
    run: str | Path | Run | RunColumns | None = None, store: RunStore | None = None
) -> LatencyBudgetResult:
    """The latency budget of a recorded run (None = latest); warm and cold split by sample."""
    cols = load_run_columns(run, store)
    targets, phase_cols = [], {}
    for t in cols.targets.values():
        phases = phase_columns(t)
        phase_cols[t.label] = phases
        modes = [b for mode in MODES if (b := _mode_budget(t, phases, mode)) is not None]
        by = {m.mode: m for m in modes}
        penalty = None
        if "warm" in by and "cold" in by and by["warm"].total_mean_ms and by["cold"].total_mean_ms:
            penalty = by["cold"].total_mean_ms - by["warm"].total_mean_ms
        targets.append(
            TargetBudget(
                label=t.label, provider=t.provider, model=t.model, modes=modes,
                cold_penalty_ms=penalty,
            )
        )  # fmt: skip
    deltas = []
    labels = list(cols.targets)
    for other in labels[1:]:
        a, b = cols.targets[labels[0]], cols.targets[other]
        for mode in MODES:
            deltas += _paired(a, phase_cols[a.label], b, phase_cols[b.label], mode)
    notes = cols.notes("run is incomplete: it did not finish; the budget covers finished samples")
    return LatencyBudgetResult(
        run_id=cols.run_id,
        run_path=cols.path,
        complete=cols.complete,
        valid=cols.valid,
        notes=notes,
        targets=targets,
        deltas=deltas,
        summary=_summary(cols, targets, deltas),
    )
