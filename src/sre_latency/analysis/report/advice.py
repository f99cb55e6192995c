"""Recommendations derived from a report's figures; each one cites the figure that triggered it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sre_latency.analysis.columns import RunColumns
    from sre_latency.analysis.report.models import (
        Consistency,
        ErrorClassReport,
        Recommendation,
        TargetReport,
    )


def fastest_and_slowest(
    targets: list[TargetReport],
) -> tuple[TargetReport, TargetReport] | None:
    """The targets with the lowest and highest TTFT p50, when at least two have one."""
    live = sorted(
        (t for t in targets if t.metrics[0].p50 is not None), key=lambda t: t.metrics[0].p50
    )
    return (live[0], live[-1]) if len(live) >= 2 else None


def ttft_p50_gap_ci(
    cols: RunColumns, fast: TargetReport, slow: TargetReport
) -> tuple[float, float, float] | None:
    """How much sooner ``fast`` reaches the first token (p50 difference, 95 % CI): a claim that
    one target is faster is made only when the CI excludes zero."""
    from sre_latency.core.stats import unpaired_delta_ci

    return unpaired_delta_ci(
        cols.targets[fast.label].sorted_ok("ttft_ms"),
        cols.targets[slow.label].sorted_ok("ttft_ms"),
        "p50",
        presorted=True,
    )


_ERROR_ADVICE = {
    "auth": "check the credentials and the model access of",
    "rate_limit": "lower concurrency or request a higher quota for",
    "overloaded": "retry with backoff, or route to another region or provider instead of",
    "server": "open a support case with request ids, or retry with backoff, for",
    "client": "fix the request (model id, parameters, prompt size) sent to",
    "timeout": "raise --timeout-s if the model is slow, or check the network path to",
    "connection": "check DNS, proxies and firewalls on the path to",
    "protocol": "check for a proxy that buffers or cuts streams in front of",
    "stream_error": "expect mid-stream errors and retry the request from",
}


def recommendations(
    cols: RunColumns,
    targets: list[TargetReport],
    errors: list[ErrorClassReport],
    consistency: list[Consistency],
) -> list[Recommendation]:
    """Every rule that fires, in order of urgency; when none does, whether to act anyway."""
    out = [
        *_run_caveats(cols),
        *_error_advice(errors, targets),
        *_tail_advice(consistency, targets),
        *_target_advice(targets),
        *_routing_advice(cols, targets),
    ]
    return out or [_no_rule_fired(cols, targets, errors)]


def _rec(text: str, evidence: str) -> Recommendation:
    from sre_latency.analysis.report.models import Recommendation

    return Recommendation(text=text, evidence=evidence)


def _run_caveats(cols: RunColumns) -> list[Recommendation]:
    out = []
    if not cols.valid:
        out.append(_rec(
            "Rerun with lower --concurrency: the measuring client was saturated, so these "
            "timings include its own overhead.",
            "; ".join(cols.validity_notes) or "run marked invalid",
        ))  # fmt: skip
    if not cols.complete:
        out.append(_rec(
            "Treat these figures as partial: the run did not finish.",
            f"{cols.n} of {cols.config.n * max(len(cols.targets), 1)} planned requests recorded",
        ))  # fmt: skip
    return out


def _error_advice(errors: list[ErrorClassReport], targets: list[TargetReport]) -> list:
    out = []
    for e in errors:
        hit = []
        for label, count in e.by_target.items():
            t = next(t for t in targets if t.label == label)
            if t.n and count / t.n >= 0.01:
                hit.append(f"{label}: {count} of {t.n} requests ({100 * count / t.n:.1f} %)")
        if hit:
            names = " and ".join(h.split(":")[0] for h in hit)
            out.append(_rec(f"{_ERROR_ADVICE[e.error_class].capitalize()} {names}.",
                            f"{e.error_class} errors on " + "; ".join(hit)))  # fmt: skip
    return out


MIN_N_FOR_TAILS = 20  # below it a p99 is the largest sample or two: no tail to act on


def _tail_advice(consistency: list[Consistency], targets: list[TargetReport]) -> list:
    out = []
    for c in consistency:
        t = next(t for t in targets if t.label == c.label)
        if c.ttft_p99_over_p50 is None or c.ttft_p99_over_p50 <= 3 or t.ok < MIN_N_FOR_TAILS:
            continue
        out.append(_rec(
            f"Investigate the TTFT tail of {c.label} (queueing, cold starts, throttling); "
            "hedged requests or a timeout-and-retry at p95 cut it.",
            f"{c.label} TTFT p99 is {c.ttft_p99_over_p50:.1f}× p50 ({t.metrics[0].p50:.0f} "
            f"ms → {t.metrics[0].p99:.0f} ms, n={t.metrics[0].n})",
        ))  # fmt: skip
    return out


def _target_advice(targets: list[TargetReport]) -> list[Recommendation]:
    out = []
    few = [t for t in targets if 0 < t.ok < MIN_N_FOR_TAILS]
    if few:
        names = ", ".join(t.label for t in few)
        out.append(_rec(
            f"Measure more requests for {names} before trusting a p99 (at least "
            f"{MIN_N_FOR_TAILS}, better 100).",
            "; ".join(f"{t.label} has n={t.ok} successful samples" for t in few),
        ))  # fmt: skip
    for t in targets:
        tps = t.metrics[2]
        if t.buffered:
            out.append(_rec(
                f"Turn off response buffering between the client and {t.label} (e.g. nginx "
                "proxy_buffering off, or X-Accel-Buffering: no): its stream arrives in bursts, "
                "so users wait for whole answers and its throughput cannot be measured.",
                f"{t.label}: {t.buffered} of {t.ok} streams buffered by the server or a proxy",
            ))  # fmt: skip
        if tps.mean is not None and tps.mean < 40:
            out.append(_rec(
                f"Expect slow streaming from {t.label}: consider a smaller or faster model for "
                "long outputs.",
                f"{t.label} output throughput mean {tps.mean:.1f} tok/s (n={tps.n})",
            ))  # fmt: skip
    return out


def _routing_advice(cols: RunColumns, targets: list[TargetReport]) -> list[Recommendation]:
    extremes = fastest_and_slowest(targets)
    if not extremes or extremes[1].metrics[0].p50 <= 1.25 * extremes[0].metrics[0].p50:
        return []
    fast, slow = extremes
    ci = ttft_p50_gap_ci(cols, fast, slow)
    if ci is None or ci[1] <= 0:  # the difference may be noise
        return []
    return [_rec(
        f"Route latency-sensitive traffic to {fast.label} rather than {slow.label}.",
        f"TTFT p50 {fast.metrics[0].p50:.0f} ms ({fast.label}) vs {slow.metrics[0].p50:.0f} ms "
        f"({slow.label}), difference {ci[0]:.0f} ms [95 % CI {ci[1]:.0f}, {ci[2]:.0f}] "
        f"(n={fast.metrics[0].n} and {slow.metrics[0].n})",
    )]  # fmt: skip


def _no_rule_fired(cols: RunColumns, targets: list[TargetReport], errors) -> Recommendation:
    low = [t.label for t in targets if t.grade not in ("A", "B")]
    grades = ", ".join(f"{t.label} {t.grade or 'not graded'}" for t in targets)
    rate = 100 * sum(e.count for e in errors) / max(cols.n, 1)
    text = (
        f"Look at the per-metric grades of {', '.join(low)}: no errors, heavy tail or slow "
        "streaming explain the low grade, so benchmark another region, provider or model."
        if low
        else "No action needed: every target grades A or B against the SLO table."
    )
    return _rec(text, f"grades {grades}; error rate {rate:.1f} %")
