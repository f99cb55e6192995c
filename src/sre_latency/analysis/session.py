"""The analysis of a session run: per provider, what its Claude Code sessions did and how long
they took; between providers, paired differences and the explanation of the gap.

Every figure carries its ``n``. Session-level figures are over the sessions that finished
(``outcome == "ok"``); per-call figures are over those sessions' API calls. Differences pair
the sessions of one round (both providers ran the same task back to back, in a random order)
and are means of the per-round differences, with a 95 % t interval: means add up, so
the parts of a gap sum to the gap (``session_explain``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
from pydantic import BaseModel, Field

from sre_latency.core.contract import Run
from sre_latency.core.sessions import SessionRecord
from sre_latency.core.stats import paired_delta_ci


class Stat(BaseModel):
    """p50 and mean of one figure over ``n`` sessions (or calls)."""

    n: int
    p50: float | None = None
    mean: float | None = None
    p90: float | None = None


def stat(values: list[float]) -> Stat:
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    if not arr.size:
        return Stat(n=0)
    p50, p90 = (float(x) for x in np.percentile(arr, (50, 90)))
    return Stat(n=int(arr.size), p50=p50, mean=float(arr.mean()), p90=p90)


class ProviderSessions(BaseModel):
    """One provider's sessions. Times in ms; counts per session."""

    label: str
    provider: str
    model: str
    sessions: int
    ok: int = Field(description="sessions that ended without an error or a timeout")
    timeouts: int
    succeeded: int = Field(description="sessions whose task check passed")
    session_ms: Stat
    model_ms: Stat = Field(description="the API calls' durations, summed per session")
    tool_ms: Stat = Field(description="wall time with a tool running, per session")
    startup_ms: Stat = Field(description="launch → first API request")
    first_token_ms: Stat = Field(description="launch → the session's first content token")
    api_calls: Stat
    tool_calls: Stat
    tool_calls_by_tool: dict[str, float] = Field(description="mean calls per session")
    tool_calls_by_category: dict[str, float]
    cache_read_share: float | None = Field(
        description="cache-read input tokens / all input tokens, over every call"
    )
    call_ttft_ms: Stat = Field(description="per API call: request → first content delta")
    ttft_source: str | None = Field(description="emulator (recorded truth) or claude_code")
    call_duration_ms: Stat = Field(description="per API call, as Claude Code measured it")
    side_requests: Stat = Field(description="emulated: requests that were no API call")
    tools_offered: list[int] = Field(description="emulated: tools offered per first turn")
    permission_wait_ms: Stat
    cost_usd: Stat


def ok_sessions(records: list[SessionRecord]) -> list[SessionRecord]:
    return [r for r in records if r.outcome == "ok"]


def _per(records: list[SessionRecord], fn: Callable[[SessionRecord], float | None]) -> Stat:
    return stat([fn(r) for r in records])


def provider_sessions(label: str, run: Run) -> ProviderSessions:
    result = run.providers[label]
    records = result.sessions
    ok = ok_sessions(records)
    calls = [c for r in ok for c in r.api_calls]
    by_tool: Counter[str] = Counter(t.tool_name for r in ok for t in r.tool_calls)
    by_cat: Counter[str] = Counter(t.category for r in ok for t in r.tool_calls)
    sources = {c.ttft_source for c in calls if c.ttft_source}
    return ProviderSessions(
        label=label, provider=result.provider, model=result.model, sessions=len(records),
        ok=len(ok), timeouts=sum(r.outcome == "timeout" for r in records),
        succeeded=sum(bool(r.success) for r in records),
        session_ms=_per(ok, lambda r: r.wall_ms), model_ms=_per(ok, lambda r: r.model_ms),
        tool_ms=_per(ok, lambda r: r.tool_ms), startup_ms=_per(ok, lambda r: r.startup_ms),
        first_token_ms=_per(ok, lambda r: r.first_token_ms),
        api_calls=_per(ok, lambda r: len(r.api_calls)),
        tool_calls=_per(ok, lambda r: len(r.tool_calls)),
        tool_calls_by_tool={k: v / len(ok) for k, v in sorted(by_tool.items())} if ok else {},
        tool_calls_by_category={k: v / len(ok) for k, v in sorted(by_cat.items())} if ok else {},
        cache_read_share=_cache_share(calls),
        call_ttft_ms=stat([c.ttft_ms for c in calls if c.ttft_ms is not None]),
        ttft_source=sources.pop() if len(sources) == 1 else ("mixed" if sources else None),
        call_duration_ms=stat([c.duration_ms for c in calls if c.duration_ms is not None]),
        side_requests=_per(ok, lambda r: r.side_requests),
        tools_offered=sorted({r.tools_offered for r in ok if r.tools_offered is not None}),
        permission_wait_ms=_per(ok, lambda r: r.permission_wait_ms),
        cost_usd=_per(ok, lambda r: r.result.total_cost_usd if r.result else None),
    )  # fmt: skip


def _cache_share(calls) -> float | None:
    read = sum(c.cache_read_tokens or 0 for c in calls)
    total = read + sum((c.input_tokens or 0) + (c.cache_write_tokens or 0) for c in calls)
    return read / total if total else None


class PairedDelta(BaseModel):
    """Mean of the per-round differences b − a of one figure, with its 95 % CI."""

    a: str
    b: str
    metric: str
    unit: str
    paired_n: int
    delta_mean: float | None
    ci95_low: float | None
    ci95_high: float | None


# The per-session figures compared between providers: name → (unit, value of one session).
SESSION_FIGURES: dict[str, tuple[str, Callable[[SessionRecord], float | None]]] = {
    "session_ms": ("ms", lambda r: r.wall_ms),
    "startup_ms": ("ms", lambda r: r.startup_ms),
    "model_ms": ("ms", lambda r: r.model_ms),
    "tool_ms": ("ms", lambda r: r.tool_ms),
    "api_calls": ("calls", lambda r: float(len(r.api_calls))),
    "tool_calls": ("calls", lambda r: float(len(r.tool_calls))),
    "call_ttft_ms": ("ms", lambda r: mean_of([c.ttft_ms for c in r.api_calls])),
    "call_duration_ms": ("ms", lambda r: mean_of([c.duration_ms for c in r.api_calls])),
}


def mean_of(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def paired_sessions(run: Run, a: str, b: str) -> list[tuple[SessionRecord, SessionRecord]]:
    """Sessions of ``a`` and ``b`` from the same round, both finished, in round order."""
    first = {r.round: r for r in ok_sessions(run.providers[a].sessions)}
    second = {r.round: r for r in ok_sessions(run.providers[b].sessions)}
    return [(first[k], second[k]) for k in sorted(first.keys() & second.keys())]


def paired_delta(pairs, a: str, b: str, metric: str, seed: int = 0) -> PairedDelta:
    unit, fn = SESSION_FIGURES[metric]
    values = [(fn(x), fn(y)) for x, y in pairs]
    xs = [x for x, y in values if x is not None and y is not None]
    ys = [y for x, y in values if x is not None and y is not None]
    found = paired_delta_ci(xs, ys, stat="mean", seed=seed)
    if found is None and len(xs) == 1:  # one pair: the difference, without an interval
        found = (ys[0] - xs[0], None, None)
    delta, lo, hi = found if found is not None else (None, None, None)
    return PairedDelta(a=a, b=b, metric=metric, unit=unit, paired_n=len(xs), delta_mean=delta,
                       ci95_low=lo, ci95_high=hi)  # fmt: skip
