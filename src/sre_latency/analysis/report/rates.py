"""The report's rates: per target, overall and per window, all from ``analysis.throughput``.

One function gives every rate, so the figure in the text and the bars of the plot agree (an
all-failed run measured in 60 ms shows the same req/s in both). The run's span is cut into equal
windows (at most ``MAX_WINDOWS``, about a round width, and about ``PER_WINDOW`` requests each on
average, so a window's rate is not one or two requests' quantisation), and no window is partial:
a run shorter than a second is not diluted into a false low, and no sliver at the end spikes.
"""

from __future__ import annotations

import math

from sre_latency.analysis.columns import RunColumns
from sre_latency.analysis.report.models import ThroughputOverTime, ThroughputWindow
from sre_latency.analysis.throughput import Rates, Requests, rates, requests_from_columns, span_of
from sre_latency.analysis.throughput import windows as rate_windows

_WINDOWS_S = (0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
MAX_WINDOWS = 60
PER_WINDOW = 10


def run_rates(cols: RunColumns, slo: dict[str, float]) -> tuple[Rates, dict[str, Rates], Requests]:
    """Overall rates, per-target rates (over the run's span) and every request of the run."""
    parts = {label: requests_from_columns(t, slo) for label, t in cols.targets.items()}
    everything = Requests.join(parts.values())
    span = span_of(everything)
    per_target = {label: rates(r, span) for label, r in parts.items()}
    return rates(everything, span), per_target, everything


def over_time(everything: Requests) -> ThroughputOverTime:
    """Requests per second in windows of the run (at most ``MAX_WINDOWS`` of them)."""
    span = span_of(everything)
    if span is None:
        return ThroughputOverTime(duration_s=0.0, window_s=0.0, windows=[],
                                  mean_requests_per_s=None, peak_requests_per_s=None,
                                  peak_window_start_s=None)  # fmt: skip
    duration = span[1] - span[0]
    most = min(MAX_WINDOWS, max(everything.started_s.size // PER_WINDOW, 1))
    nominal = next((w for w in _WINDOWS_S if duration / w <= most), _WINDOWS_S[-1])
    width = duration / max(math.ceil(duration / nominal - 1e-9), 1)
    windows = [
        ThroughputWindow(
            start_s=float(start), span_s=float(covered), requests=r.n, errors=r.n - r.ok,
            requests_per_s=r.request_rate_per_s, output_tokens_per_s=r.output_tokens_per_s,
            full=covered >= width * (1 - 1e-6),
        )
        for start, covered, r in rate_windows(everything, width, span)
    ]  # fmt: skip
    full = [w for w in windows if w.full and w.requests_per_s is not None] or windows
    peak = max(full, key=lambda w: w.requests_per_s or 0.0)
    return ThroughputOverTime(
        duration_s=duration,
        window_s=float(width),
        windows=windows,
        mean_requests_per_s=rates(everything, span).request_rate_per_s,
        peak_requests_per_s=peak.requests_per_s,
        peak_window_start_s=peak.start_s,
    )
