"""What the monitor saw over a span of time, per location and target: one summary shape for the
monitor's ``/status`` (its rolling window) and the ``monitor_status`` tool (the store)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from sre_latency.core.durations import format_duration
from sre_latency.core.stats import linear_percentile
from sre_latency.monitor.observation import Observation


class TargetStatus(BaseModel):
    """One target seen from one location: counts, percentiles (ms), SLO compliance."""

    location: str
    target: str
    provider: str
    model: str
    n: int
    ok: int
    errors: int
    error_rate: float | None = Field(description="errors / n, a fraction 0..1")
    errors_by_class: dict[str, int]
    ttft_p50_ms: float | None
    ttft_p99_ms: float | None
    total_p50_ms: float | None
    total_p99_ms: float | None
    compliance: float | None = Field(
        description="good requests / n, a fraction 0..1 (good: no error and every goodput bound "
        "of the SLO met)"
    )
    first_request_at: datetime | None
    last_request_at: datetime | None
    last_success_at: datetime | None


class MonitorStatus(BaseModel):
    """What the monitor saw between ``since`` and ``until``."""

    source: str = Field(description="where the figures come from: a monitor's rolling window "
                        "or the runs in a store")  # fmt: skip
    since: datetime
    until: datetime
    span_s: float
    objective: float = Field(description="the SLO's share of good requests, 0..1")
    targets: list[TargetStatus]
    runs: list[str] = Field(default_factory=list, description="run files read (store source)")
    notes: list[str] = Field(default_factory=list)
    summary: str


def _at(seconds: float | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def _p(values: list[float], q: float) -> float | None:
    return linear_percentile(values, q) if values else None


def target_status(group: Sequence[Observation]) -> TargetStatus:
    first = group[0]
    ok = [o for o in group if o.ok]
    ttft = sorted(o.ttft_ms for o in ok if o.ttft_ms is not None)
    total = sorted(o.total_ms for o in ok if o.total_ms is not None)
    by_class: dict[str, int] = {}
    for o in group:
        if o.error_class is not None:
            by_class[o.error_class] = by_class.get(o.error_class, 0) + 1
    n = len(group)
    return TargetStatus(
        location=first.location, target=first.target, provider=first.provider, model=first.model,
        n=n, ok=len(ok), errors=n - len(ok), error_rate=(n - len(ok)) / n,
        errors_by_class=dict(sorted(by_class.items())),
        ttft_p50_ms=_p(ttft, 50), ttft_p99_ms=_p(ttft, 99),
        total_p50_ms=_p(total, 50), total_p99_ms=_p(total, 99),
        compliance=sum(o.good for o in group) / n,
        first_request_at=_at(min(o.started_s for o in group)),
        last_request_at=_at(max(o.started_s for o in group)),
        last_success_at=_at(max((o.started_s + (o.total_ms or 0) / 1000 for o in ok),
                                default=None)),
    )  # fmt: skip


def matches(o: Observation, provider: str | None, location: str | None) -> bool:
    return (provider is None or o.provider == provider or o.target == provider) and (
        location is None or o.location == location
    )


def summarise(observations: Iterable[Observation], since_s: float, until_s: float, source: str,
              objective: float, runs: Sequence[str] = (),
              notes: Sequence[str] = ()) -> MonitorStatus:  # fmt: skip
    """Group ``observations`` started in [since_s, until_s] by (location, target)."""
    groups: dict[tuple[str, str], list[Observation]] = {}
    for o in observations:
        if since_s <= o.started_s <= until_s:
            groups.setdefault(o.key, []).append(o)
    targets = [target_status(groups[k]) for k in sorted(groups)]
    return MonitorStatus(
        source=source, since=_at(since_s), until=_at(until_s), span_s=until_s - since_s,
        objective=objective, targets=targets, runs=list(runs), notes=list(notes),
        summary=status_sentence(targets, until_s - since_s, until_s, objective, source),
    )  # fmt: skip


def _ms(value: float | None) -> str:
    return f"{value:.0f} ms" if value is not None else "—"


def target_sentence(t: TargetStatus, span: str, until_s: float, objective: float) -> str:
    text = f"{t.target} from {t.location}: {t.n} requests in the last {span}"
    if t.errors:
        kinds = ", ".join(f"{k} {v}" for k, v in t.errors_by_class.items())
        text += f", {t.errors} errors ({kinds})"
    else:
        text += ", no error"
    if t.ok:
        text += f", TTFT p50 {_ms(t.ttft_p50_ms)} p99 {_ms(t.ttft_p99_ms)} (n={t.ok})"
    if t.compliance is not None:
        text += f", {100 * t.compliance:.1f} % good (objective {100 * objective:g} %)"
    if t.last_success_at is not None:
        ago = max(0.0, until_s - t.last_success_at.timestamp())
        text += f", last success {ago:.0f} s ago"
    else:
        text += ", no success in that time"
    return text


def status_sentence(targets: list[TargetStatus], span_s: float, until_s: float,
                    objective: float, source: str) -> str:  # fmt: skip
    span = format_duration(round(span_s)) if span_s >= 1 else f"{span_s:.1f}s"
    if not targets:
        return f"no request seen in the last {span} ({source})."
    return "; ".join(target_sentence(t, span, until_s, objective) for t in targets) + "."
