"""The report as Markdown (for people and pull requests) and CSV (for spreadsheets)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from sre_latency.core.stats import percentile

if TYPE_CHECKING:
    from sre_latency.analysis.columns import RunColumns
    from sre_latency.analysis.report.models import MetricFigures, ReportResult

CSV_METRICS = ("ttfb_ms", "ttft_ms", "generation_ms", "total_ms", "output_tps", "itl_ms")


def num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def figure_cells(m: MetricFigures) -> list[str]:
    if m.note and m.n == 0:  # e.g. a buffered stream: say why, not a dash
        return [m.note, "—"]
    d = 1 if m.unit == "tok/s" or (m.p50 is not None and m.p50 < 100) else 0
    return [
        f"{num(m.mean, d)} ± {num(m.sd, d)}",
        f"{num(m.p50, d)} / {num(m.p90, d)} / {num(m.p99, d)}",
    ]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return [*lines, ""]


def target_rows(result: ReportResult) -> tuple[list[str], list[list[str]]]:
    header = ["target", "model", "n", "success", "grade"]
    for m in result.targets[0].metrics if result.targets else []:
        header += [f"{m.metric} mean ± sd ({m.unit})", f"{m.metric} p50 / p90 / p99"]
    rows = []
    for t in result.targets:
        row = [t.label, t.model, str(t.n), pct(t.success_rate), t.grade or "—"]
        for m in t.metrics:
            row += figure_cells(m)
        rows.append(row)
    return header, rows


EMULATED_BANNER = (
    "EMULATED run: these figures come from the built-in emulator, not a real API; they show "
    "how the tool and your alerts behave, not how fast Claude is."
)


def markdown(result: ReportResult) -> str:
    r = result
    out = [f"# Latency report — run {r.run_id}", ""]
    if r.emulated:
        out += [f"> **{EMULATED_BANNER}**", ""]
    out += [
        f"**{r.status_line}.**",
        "",
        f"Main finding: {r.main_finding}",
        "",
        f"Measured {r.created_at[:19]} UTC from {r.environment}; kind {r.kind}.",
        "",
    ]
    if r.conditions is not None:
        out += [f"Conditions: {r.conditions.line()}.", ""]
    out += [f"> Note: {n}" for n in r.notes] + ([""] if r.notes else [])
    out += ["## Targets", "", *_table(*target_rows(r))]
    out += ["## Throughput", "", *_md_rates(r)]
    out += ["## Errors", "", *_md_errors(r)]
    out += ["## Throughput over time", "", *_md_throughput(r)]
    out += load_markdown(r.load)
    out += ["## Consistency", "", *_md_consistency(r)]
    out += ["## Performance tiers", ""]
    out += [f"- **{t.tier}** ({t.criterion}): {', '.join(t.targets)}" for t in r.tiers] + [""]
    out += ["## Recommendations", ""]
    out += [f"{i}. {rec.text} *(evidence: {rec.evidence})*" for i, rec in
            enumerate(r.recommendations, start=1)]  # fmt: skip
    return "\n".join(out) + "\n"


def load_markdown(load) -> list[str]:
    from sre_latency.analysis.report.load_sections import load_markdown as section

    return section(load)


def rate(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def rate_rows(r: ReportResult) -> tuple[list[str], list[list[str]]]:
    """Requests, output tokens and good requests per second, per target and for the run."""
    header = ["target", "requests", "req/s", "output tok/s", "goodput (req/s)"]
    rows = []
    for label, x in [(t.label, t.rates) for t in r.targets] + [("all targets", r.rates)]:
        if x is None:
            continue
        rows.append([label, f"{x.n:,}", rate(x.request_rate_per_s),
                     rate(x.output_tokens_per_s), rate(x.goodput_per_s)])  # fmt: skip
    return header, rows


def rates_caption(r: ReportResult) -> str:
    slo = ", ".join(
        f"{k} {'≥' if k == 'output_tps' else '≤'} {v:g}" for k, v in r.goodput_slo.items()
    )
    span = r.rates.span_s if r.rates is not None else None
    if span is None:
        return "No rate: a rate needs at least two requests over a span of time."
    return (
        f"Over the run's {seconds(span)} (first request's start to last request's end); a target's "
        f"rates are over the same span, so they add up. Good = succeeded with {slo}."
    )


def _md_rates(r: ReportResult) -> list[str]:
    return [rates_caption(r), "", *_table(*rate_rows(r))]


def _md_errors(r: ReportResult) -> list[str]:
    if not r.errors:
        return ["No request failed.", ""]
    rows = [
        [e.error_class, str(e.count), pct(e.share_of_requests),
         ", ".join(f"{k} {v}" for k, v in e.by_target.items()), "<br>".join(e.examples)]
        for e in r.errors
    ]  # fmt: skip
    return _table(["class", "count", "share", "by target", "example per target"], rows)


def throughput_caption(r: ReportResult) -> str | None:
    tp = r.throughput
    if not tp.windows:
        return None
    k = len(tp.windows)
    return (
        f"{k} window{'s' if k != 1 else ''} of {seconds(tp.window_s)} over "
        f"{seconds(tp.duration_s)}; mean {rate(tp.mean_requests_per_s)} req/s, busiest window "
        f"{rate(tp.peak_requests_per_s)} req/s at +{tp.peak_window_start_s or 0:.2f} s."
    )


def seconds(value: float) -> str:
    """``0.0165`` → ``16.5 ms``; ``5.98`` → ``5.98 s``; ``125.3`` → ``125 s``."""
    if value < 1:
        return f"{1000 * value:.3g} ms"
    return f"{value:.3g} s" if value < 100 else f"{value:,.0f} s"


def _md_throughput(r: ReportResult) -> list[str]:
    caption = throughput_caption(r)
    if caption is None:
        return ["No rate over time: a rate needs at least two requests.", ""]
    rows = [
        [f"+{w.start_s:.2f}", str(w.requests), str(w.errors), rate(w.requests_per_s),
         rate(w.output_tokens_per_s)]
        for w in r.throughput.windows[:60]
    ]  # fmt: skip
    header = ["start (s)", "requests", "errors", "req/s", "output tok/s"]
    return [caption, "", *_table(header, rows)]


def _md_consistency(r: ReportResult) -> list[str]:
    rows = [
        [c.label, num(c.ttft_sd_ms, 1), num(c.ttft_p99_over_p50, 2), num(c.total_sd_ms, 1),
         num(c.total_p99_over_p50, 2), c.verdict]
        for c in r.consistency
    ]  # fmt: skip
    header = ["target", "TTFT sd (ms)", "TTFT p99/p50", "total sd (ms)", "total p99/p50", "verdict"]
    return _table(header, rows)


def csv_table(result: ReportResult, cols: RunColumns) -> str:
    """One row per target and metric (timings in ms, throughput in tok/s) plus error rates."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    stats = ("mean", "sd", "min", "p50", "p90", "p95", "p99", "max")
    w.writerow(["run_id", "target", "provider", "model", "metric", "unit", "n", *stats])
    for t in cols.targets.values():
        for metric in CSV_METRICS:
            v = t.sorted_ok(metric)
            unit = "tok/s" if metric == "output_tps" else "ms"
            values = [percentile(v, s, presorted=True) for s in stats]
            w.writerow(
                [result.run_id, t.label, t.provider, t.model, metric, unit, v.size]
                + ["" if x is None else f"{x:.10g}" for x in values]
            )
        rate = t.n_errors / t.n if t.n else None
        w.writerow(
            [result.run_id, t.label, t.provider, t.model, "error_rate", "fraction", t.n]
            + ["" if rate is None else f"{rate:.10g}"] + [""] * (len(stats) - 1)
        )  # fmt: skip
    return buf.getvalue()
