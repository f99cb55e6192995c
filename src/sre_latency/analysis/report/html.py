"""The report as one self-contained HTML file: inline CSS, plots embedded as base64 PNG."""

from __future__ import annotations

import base64
from html import escape
from typing import TYPE_CHECKING

from sre_latency.analysis.report.text import num, pct, target_rows

if TYPE_CHECKING:
    from sre_latency.analysis.columns import RunColumns
    from sre_latency.analysis.report.models import ReportResult

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1d1d1f;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
.status{font-size:1.15em;padding:.6em 1em;border-radius:6px;margin:1em 0}
.healthy{background:#e6f4ea}.degraded{background:#fff4d6}.failing{background:#fde7e9}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:right;vertical-align:top}
th{background:#f5f5f7}td:first-child,th:first-child{text-align:left}
td.text{text-align:left}.note{color:#8a6d00}.muted{color:#666}
img{max-width:100%;height:auto;display:block;margin:.6em 0}
"""


def _table(header: list[str], rows: list[list[str]], text_cols: set[int] | None = None) -> str:
    text_cols = text_cols or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="text">{c}</td>' if i in text_cols else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(png: bytes | None, alt: str) -> str:
    if png is None:
        return f'<p class="muted">{escape(alt)}: nothing to plot.</p>'
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def html(result: ReportResult, cols: RunColumns) -> str:
    from sre_latency.analysis.report import plots

    r = result
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Latency report {escape(r.run_id)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Latency report — run {escape(r.run_id)}</h1>",
        f"<p class='muted'>Measured {escape(r.created_at[:19])} UTC from "
        f"{escape(r.environment)}; kind {escape(r.kind)}.</p>",
        f"<div class='status {r.status}'><strong>{escape(r.status_line)}</strong><br>"
        f"Main finding: {escape(r.main_finding)}</div>",
    ]
    parts += [f"<p class='note'>Note: {escape(n)}</p>" for n in r.notes]
    header, rows = target_rows(r)
    parts += [
        "<h2>Targets</h2>",
        _table(header, [[escape(c) for c in row] for row in rows], {0, 1}),
    ]
    parts += ["<h2>Time to first token</h2>", _img(plots.ttft_cdf(cols), "TTFT CDF per target")]
    parts += [_img(plots.latency_histogram(cols), "latency histogram")]
    parts += ["<h2>Errors</h2>"]
    if r.errors:
        parts.append(
            _table(
                ["class", "count", "share", "by target", "examples"],
                [
                    [
                        escape(e.error_class),
                        str(e.count),
                        pct(e.share_of_requests),
                        escape(", ".join(f"{k} {v}" for k, v in e.by_target.items())),
                        "<br>".join(escape(x) for x in e.examples),
                    ]
                    for e in r.errors
                ],
                {0, 3, 4},
            )
        )
        parts.append(_img(plots.error_breakdown(cols), "error breakdown"))
    else:
        parts.append("<p>No request failed.</p>")
    tp = r.throughput
    parts += ["<h2>Throughput over time</h2>"]
    if tp.windows:
        parts.append(
            f"<p>{len(tp.windows)} windows of {tp.window_s:g} s over {tp.duration_s:.1f} s; mean "
            f"{num(tp.mean_requests_per_min, 1)} requests/min, peak "
            f"{num(tp.peak_requests_per_min, 1)} requests/min at +{tp.peak_window_start_s:g} s.</p>"
        )
    parts.append(_img(plots.throughput(r), "requests per minute"))
    parts.append(_img(plots.timeline(cols), "per-sample timeline"))
    parts += [
        "<h2>Consistency</h2>",
        _table(
            ["target", "TTFT sd (ms)", "TTFT p99/p50", "total sd (ms)", "total p99/p50",
             "verdict"],
            [
                [escape(c.label), num(c.ttft_sd_ms, 1), num(c.ttft_p99_over_p50, 2),
                 num(c.total_sd_ms, 1), num(c.total_p99_over_p50, 2), escape(c.verdict)]
                for c in r.consistency
            ],
            {5},
        ),
    ]  # fmt: skip
    parts += ["<h2>Performance tiers</h2><ul>"]
    parts += [
        f"<li><strong>{escape(t.tier)}</strong> ({escape(t.criterion)}): "
        f"{escape(', '.join(t.targets))}</li>"
        for t in r.tiers
    ]
    parts += ["</ul><h2>Recommendations</h2><ol>"]
    parts += [
        f"<li>{escape(rec.text)} <span class='muted'>(evidence: {escape(rec.evidence)})</span></li>"
        for rec in r.recommendations
    ]
    parts += ["</ol><p class='muted'>Generated by sre-latency.</p></body></html>"]
    return "\n".join(parts) + "\n"
