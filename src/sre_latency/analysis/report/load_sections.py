"""The report's load sections (Markdown and HTML): throughput, send lag, steps, processes.

Kept apart from the rest of the report (``text.py``, ``html.py`` call in here once each) so
the latency report and the load view can change independently.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from sre_latency.analysis.report.text import num, pct
from sre_latency.analysis.throughput import rate_text

if TYPE_CHECKING:
    from sre_latency.analysis.columns import RunColumns
    from sre_latency.analysis.load import LoadReport

MIB = 2**20


def _tables(load: LoadReport) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of each load table, shared by both formats."""
    out = [(
        "Throughput",
        ["target", "requests", "req/s", "output tok/s", "goodput req/s", "met the SLO", "span (s)"],
        [[t.label, str(t.n), rate_text(t.request_rate_per_s), rate_text(t.output_tokens_per_s),
          rate_text(t.goodput_per_s), pct(t.good / t.n if t.n and t.good is not None else None),
          num(t.span_s, 1)] for t in load.throughput],
    )]  # fmt: skip
    if load.steps:
        out.append((
            "Steps (latency against offered load)",
            ["step", "target", "offered", "achieved req/s", "n", "TTFT p50 (ms)", "TTFT p99 (ms)",
             "goodput req/s", "errors", "send lag p99 (ms)", "verdict"],
            [[str(s.step), s.target, s.label, num(s.achieved_rate_per_s, 2), str(s.n),
              num(s.ttft_p50_ms), num(s.ttft_p99_ms), num(s.goodput_per_s, 2),
              pct(s.error_rate), num(s.send_lag_p99_ms, 1), s.verdict or "—"]
             for s in load.steps],
        ))  # fmt: skip
    if load.processes:
        out.append((
            "Watched processes",
            ["process", "samples", "CPU % mean", "CPU % max", "RSS max (MiB)", "threads max",
             "open fds max"],
            [[p.name, str(p.samples), num(p.cpu_pct_mean, 1), num(p.cpu_pct_max, 1),
              num(p.rss_max_bytes / MIB if p.rss_max_bytes is not None else None, 1),
              num(p.threads_max), num(p.open_fds_max)] for p in load.processes],
        ))  # fmt: skip
    return out


def _sends(load: LoadReport) -> str | None:
    if not load.open_loop:
        return None
    rate = f" at {load.offered_rate_per_s:g} req/s per target" if load.offered_rate_per_s else ""
    text = (
        f"Open loop{rate} ({load.arrival or 'poisson'} arrivals): sends left "
        f"{num(load.send_lag_p50_ms, 2)} ms (p50) and {num(load.send_lag_p99_ms, 2)} ms (p99) "
        "after their planned time"
    )
    if load.late_sends:
        text += (f"; {load.late_sends} planned sends could not leave within 10 ms of their time "
                 "and were left out (schedule_lag)")  # fmt: skip
    return text + "."


def load_markdown(load: LoadReport | None) -> list[str]:
    if load is None:
        return []
    from sre_latency.analysis.report.text import _table

    out = ["## Load and throughput", "", load.summary[0].upper() + load.summary[1:] + ".", ""]
    if (sends := _sends(load)) is not None:
        out += [sends, ""]
    if load.capacity:
        out += [f"**Capacity:** {load.capacity}", ""]
    for title, header, rows in _tables(load):
        out += [f"### {title}", "", *_table(header, rows)]
    return out


def load_html(load: LoadReport | None, cols: RunColumns) -> list[str]:
    if load is None:
        return []
    from sre_latency.analysis.report import plots
    from sre_latency.analysis.report.html import _img, _table

    out = ["<h2>Load and throughput</h2>", f"<p>{escape(load.summary)}.</p>"]
    if (sends := _sends(load)) is not None:
        out.append(f"<p>{escape(sends)}</p>")
    if load.capacity:
        out.append(f"<p><strong>Capacity:</strong> {escape(load.capacity)}</p>")
    for title, header, rows in _tables(load):
        out += [f"<h3>{escape(title)}</h3>", _table(header, [[escape(c) for c in r] for r in rows],
                                                    {0, 1} if title.startswith("Steps") else {0})]  # fmt: skip
    out.append(_img(plots.load_over_time(cols), "latency over time with the request rate"))
    if load.steps:
        out.append(_img(plots.latency_throughput(load), "latency–throughput curve"))
    if load.processes:
        out.append(_img(plots.processes_over_time(cols), "watched processes beside latency"))
    return out
