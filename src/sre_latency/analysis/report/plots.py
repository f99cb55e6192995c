"""The report's plots, drawn by matplotlib (Agg, imported here only) and returned as PNG bytes.

Figures are built with ``matplotlib.figure.Figure`` and an Agg canvas, never ``pyplot``: no
global state, no GUI backend, safe in a server thread. Large runs are thinned to a few thousand
points per target (quantiles for CDFs, an even stride for timelines) so a million samples still
draw in a moment and the HTML stays small.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sre_latency.analysis.columns import RunColumns

MAX_POINTS = 4000
_ERROR_COLOUR = "#d62728"


def _figure(width: float = 8.0, height: float = 3.6):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _thin(n: int) -> np.ndarray:
    return np.arange(n) if n <= MAX_POINTS else np.linspace(0, n - 1, MAX_POINTS).astype(int)


def _any_ok(cols: RunColumns, metric: str) -> bool:
    return any(t.ok_values(metric).size for t in cols.targets.values())


def ttft_cdf(cols: RunColumns) -> bytes | None:
    if not _any_ok(cols, "ttft_ms"):
        return None  # no request succeeded: say so rather than draw empty axes
    fig = _figure()
    ax = fig.add_subplot()
    for t in cols.targets.values():
        v = t.ok_values("ttft_ms")
        if v.size == 0:
            continue
        q = np.linspace(0, 100, min(v.size, MAX_POINTS))
        ax.plot(np.percentile(v, q), q / 100, label=f"{t.label} (n={v.size})", drawstyle="steps")
    ax.set_xlabel("time to first token (ms)")
    ax.set_ylabel("share of requests")
    ax.set_title("TTFT cumulative distribution")
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(loc="lower right")
    return _png(fig)


def latency_histogram(cols: RunColumns) -> bytes | None:
    if not _any_ok(cols, "ttft_ms"):
        return None
    fig = _figure()
    axes = fig.subplots(1, 2)
    for ax, metric, title in zip(
        axes, ("ttft_ms", "total_ms"), ("time to first token", "total time"), strict=True
    ):
        arrays = [(t.label, t.ok_values(metric)) for t in cols.targets.values()]
        arrays = [(label, v) for label, v in arrays if v.size]
        if arrays:
            allv = np.concatenate([v for _, v in arrays])
            hi = float(np.percentile(allv, 99.5))
            lo = float(allv.min())
            bins = np.linspace(lo, hi if hi > lo else lo + 1, 40)
            for label, v in arrays:
                ax.hist(np.clip(v, lo, bins[-1]), bins=bins, alpha=0.55, label=label)
            ax.legend()
        ax.set_xlabel(f"{title} (ms)")
        ax.set_ylabel("requests")
        ax.grid(alpha=0.3)
    fig.suptitle("Latency histograms (top 0.5 % clipped into the last bin)")
    return _png(fig)


def timeline(cols: RunColumns) -> bytes:
    fig = _figure(8.0, 3.8)
    ax = fig.add_subplot()
    starts = [t.started_s for t in cols.targets.values() if t.n]
    t0 = float(np.concatenate(starts).min()) if starts else 0.0
    for t in cols.targets.values():
        keep = _thin(t.n)
        x = t.started_s[keep] - t0
        ok = t.ok[keep]
        ttft = t.metrics["ttft_ms"][keep]
        ax.scatter(x[ok], ttft[ok], s=6, alpha=0.7, label=f"{t.label} TTFT")
        failed = ~ok
        if failed.any():
            total = t.metrics["total_ms"][keep][failed]
            y = np.where(np.isnan(total), 0.0, total)
            ax.scatter(x[failed], y, marker="x", s=18, color=_ERROR_COLOUR)
    ax.scatter([], [], marker="x", color=_ERROR_COLOUR, label="failed (at its total time)")
    ax.set_xlabel("seconds since the first request")
    ax.set_ylabel("ms")
    ax.set_title("Every request over time")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")  # off the points
    return _png(fig)


def error_breakdown(cols: RunColumns) -> bytes | None:
    from sre_latency.errors import ERROR_CLASSES

    labels = list(cols.targets)
    counts = np.array(
        [[int((t.error_code == c).sum()) for c in range(len(ERROR_CLASSES))]
         for t in cols.targets.values()]
    )  # fmt: skip
    used = counts.sum(axis=0) > 0
    if not used.any():
        return None
    classes = [c for c, u in zip(ERROR_CLASSES, used, strict=True) if u]
    fig = _figure(8.0, 0.8 + 0.45 * len(classes))
    ax = fig.add_subplot()
    left = np.zeros(len(classes))
    for i, label in enumerate(labels):
        row = counts[i, used]
        ax.barh(classes, row, left=left, label=label)
        left += row
    ax.set_xlabel("failed requests")
    ax.set_title("Errors by class")
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize="small")
    return _png(fig)


def throughput(result) -> bytes | None:
    """Requests per second per window (a ``ReportResult.throughput``), failed ones stacked on
    top: the same rates as the report's text (``analysis.throughput``)."""
    tp = result.throughput
    if not tp.windows:
        return None
    fig = _figure(8.0, 2.6)
    ax = fig.add_subplot()
    starts = np.array([w.start_s for w in tp.windows])
    rate = np.array([w.requests_per_s or 0.0 for w in tp.windows])
    share_failed = np.array([w.errors / w.requests if w.requests else 0.0 for w in tp.windows])
    failed = rate * share_failed
    ok = rate - failed
    ax.bar(starts, ok, width=tp.window_s * 0.9, align="edge", label="succeeded")
    ax.bar(starts, failed, bottom=ok, width=tp.window_s * 0.9, align="edge",
           color=_ERROR_COLOUR, label="failed")  # fmt: skip
    ax.set_xlabel(f"seconds since the first request ({tp.window_s:.3g} s windows)")
    ax.set_ylabel("requests / s")
    ax.set_title(f"Throughput over time (mean {tp.mean_requests_per_s or 0:.3g} req/s)")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")  # off the bars
    return _png(fig)


def _nan(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _shade_steps(ax, cols: RunColumns, origin) -> None:
    """Every other step of a sweep or capacity search shaded, so the windows read by step."""
    for step in cols.steps[::2]:
        if step.started_at is not None and step.finished_at is not None:
            ax.axvspan((step.started_at - origin).total_seconds(),
                       (step.finished_at - origin).total_seconds(), color="#000", alpha=0.05)  # fmt: skip


def load_over_time(cols: RunColumns) -> bytes | None:
    """TTFT p50/p99 per window per target, with the request rate overlaid (right axis)."""
    from sre_latency.analysis.load import series_of

    ts = series_of(cols)
    if ts is None or not ts.targets:
        return None
    fig = _figure(8.0, 3.8)
    ax = fig.add_subplot()
    rate_ax = ax.twinx()
    for label, windows in ts.targets.items():
        x = np.array([w.t_s for w in windows])
        (line,) = ax.plot(x, _nan(w.ttft_p50_ms for w in windows), label=f"{label} TTFT p50")
        colour = line.get_color()
        ax.plot(x, _nan(w.ttft_p99_ms for w in windows), "--", color=colour,
                label=f"{label} TTFT p99")  # fmt: skip
        rate = np.array([w.started for w in windows]) / ts.window_s
        rate_ax.step(x, rate, where="post", color=colour, alpha=0.35, label=f"{label} req/s")
    _shade_steps(ax, cols, ts.origin)
    ax.set_xlabel(f"seconds since the run started ({ts.window_s:g} s windows)")
    ax.set_ylabel("TTFT (ms)")
    rate_ax.set_ylabel("requests started / s")
    ax.set_title("Latency over time, with the request rate")
    ax.grid(alpha=0.3)
    handles = ax.get_legend_handles_labels()
    more = rate_ax.get_legend_handles_labels()
    ax.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left", fontsize="small")
    return _png(fig)


def processes_over_time(cols: RunColumns) -> bytes | None:
    """Watched processes (the system under test, the client) beside the latency they served."""
    from sre_latency.analysis.load import series_of

    ts = series_of(cols)
    if ts is None or not ts.processes:
        return None
    fig = _figure(8.0, 6.0)
    lat, cpu, mem = fig.subplots(3, 1, sharex=True)
    for label, windows in ts.targets.items():
        lat.plot([w.t_s for w in windows], _nan(w.ttft_p99_ms for w in windows),
                 label=f"{label} TTFT p99")  # fmt: skip
    for name, series in ts.processes.items():
        x = [w.t_s for w in series]
        cpu.plot(x, _nan(w.cpu_pct for w in series), label=name)
        mem.plot(x, _nan(w.rss_bytes for w in series) / 2**20, label=name)
    for ax in (lat, cpu, mem):
        _shade_steps(ax, cols, ts.origin)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize="x-small")
    lat.set_ylabel("TTFT p99 (ms)")
    cpu.set_ylabel("CPU (% of a core)")
    mem.set_ylabel("RSS (MiB)")
    mem.set_xlabel("seconds since the run started")
    lat.set_title("Watched processes beside latency")
    return _png(fig)


def latency_throughput(load) -> bytes | None:
    """The latency–throughput curve of a sweep or capacity search (a ``LoadReport``)."""
    if load is None or not load.steps:
        return None
    rate_sweep = all(s.offered_rate_per_s is not None for s in load.steps)
    fig = _figure(8.0, 3.6)
    lat, good = fig.subplots(1, 2)
    for target in dict.fromkeys(s.target for s in load.steps):
        rows = sorted((s for s in load.steps if s.target == target),
                      key=lambda s: s.offered_rate_per_s if rate_sweep else s.concurrency or 0)  # fmt: skip
        x = [s.offered_rate_per_s if rate_sweep else s.concurrency for s in rows]
        (line,) = lat.plot(x, _nan(s.ttft_p50_ms for s in rows), "o-", label=f"{target} p50")
        lat.plot(x, _nan(s.ttft_p99_ms for s in rows), "s--", color=line.get_color(),
                 label=f"{target} p99")  # fmt: skip
        good.plot(x, _nan(s.goodput_per_s for s in rows), "o-", label=f"{target} goodput")
        good.plot(x, _nan(s.achieved_rate_per_s for s in rows), "x:", color=line.get_color(),
                  label=f"{target} achieved")  # fmt: skip
    if rate_sweep:
        top = max(s.offered_rate_per_s or 0 for s in load.steps)
        good.plot([0, top], [0, top], color="#999", linewidth=0.8, label="offered")
    xlabel = "offered load (requests/s per target)" if rate_sweep else "concurrency"
    for ax in (lat, good):
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="x-small")
    lat.set_ylabel("TTFT (ms)")
    shown = [v for s in load.steps for v in (s.ttft_p50_ms, s.ttft_p99_ms) if v]
    if shown and max(shown) > 20 * min(shown):  # a queue past capacity: a log scale reads both
        lat.set_yscale("log")
    good.set_ylabel("requests/s")
    lat.set_title("TTFT vs offered load")
    good.set_title("Goodput vs offered load")
    return _png(fig)
