"""From clock readings and parser state to one Sample (docs/contract.md#metrics).

Every time is a difference of two ``perf_counter_ns`` readings of the same request. Two rules
are applied here, once for every provider:

- **reasoning is not content**: TTFT is the first delta of the answer; the first thinking delta
  is ``ttfr_ms``. Throughput counts the whole streamed output (the usage counts reasoning tokens
  too), from the first delta of either kind to the last;
- **a buffered stream has no throughput**: deltas less than ``BURST_GAP_MS`` apart arrived in
  one burst (no model streams 10,000 tokens/s per stream). When the answer's deltas (at least
  ``BUFFERED_MIN_DELTAS``) came in one or two bursts, or ``BUFFERED_DELTAS_PER_BURST`` or more
  per burst, a server or proxy held them and released them together: ``buffered`` is set and
  ``output_tps`` and the ITL statistics stay null (they would describe the buffer, not the
  model). A bursty but progressive stream (several tokens per decoding step) is not buffered.
"""

from __future__ import annotations

from datetime import datetime

from sre_latency.core.contract import ITL, Sample, SampleError
from sre_latency.core.stats import linear_percentile
from sre_latency.probe.providers.base import StreamState
from sre_latency.probe.transport import Exchange

BURST_GAP_MS = 0.1  # deltas closer than this came in one burst (one network read, or a few)
BUFFERED_MIN_DELTAS = 4  # fewer deltas say nothing about how the stream was delivered
BUFFERED_DELTAS_PER_BURST = 16  # a proxy releasing blocks, not a model's decoding steps


def _ms(later: int | None, earlier: int | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier) / 1e6


def _itl(state: StreamState) -> tuple[ITL, bool]:
    """Per-request inter-token latency, and whether the stream was buffered."""
    gaps = sorted(g / 1e6 for g in state.gaps_ns)
    if not gaps:
        return ITL(n=0), False
    deltas = state.content_deltas
    bursts = 1 + sum(1 for g in gaps if g >= BURST_GAP_MS)
    if deltas >= BUFFERED_MIN_DELTAS and (
        bursts <= 2 or deltas >= BUFFERED_DELTAS_PER_BURST * bursts
    ):
        return ITL(n=len(gaps)), True
    itl = ITL(
        n=len(gaps),
        mean=sum(gaps) / len(gaps),
        p50=linear_percentile(gaps, 50),
        p99=linear_percentile(gaps, 99),
    )
    return itl, False


def _output_tps(state: StreamState) -> float | None:
    """Output tokens over the streamed output's duration (first delta of any kind → last)."""
    firsts = [t for t in (state.first_content_ns, state.first_reasoning_ns) if t is not None]
    lasts = [t for t in (state.last_content_ns, state.last_reasoning_ns) if t is not None]
    deltas = state.content_deltas + state.reasoning_deltas
    if deltas < 2 or not state.output_tokens or not firsts:
        return None
    span_ms = (max(lasts) - min(firsts)) / 1e6
    return state.output_tokens / (span_ms / 1000.0) if span_ms > 0 else None


def build_sample(
    seq: int,
    round_: int,
    started_at: datetime,
    x: Exchange,
    state: StreamState,
    error: SampleError | None,
    request_id: str | None,
    cold: bool,
) -> Sample:
    """Turn clock readings and parser state into a Sample (docs/contract.md#metrics)."""
    t0 = x.t_start or None
    itl, buffered = _itl(state)
    total_ms = _ms(x.t_end, t0)
    overhead = None
    if total_ms is not None and state.server_latency_ms is not None:
        overhead = total_ms - state.server_latency_ms
    return Sample(
        seq=seq,
        round=round_,
        started_at=started_at,
        ttfb_ms=_ms(x.t_headers, t0),
        ttft_ms=_ms(state.first_content_ns, t0),
        generation_ms=_ms(state.last_content_ns, state.first_content_ns),
        total_ms=total_ms,
        request_sent_ms=_ms(x.t_sent, t0),
        itl_ms=itl,
        dns_ms=_ms(x.t_dns_end, x.t_dns_start),
        connect_ms=_ms(x.t_connect_end, x.t_connect_start),
        tls_ms=_ms(x.t_tls_end, x.t_tls_start),
        server_latency_ms=state.server_latency_ms,
        server_ttft_ms=state.server_ttft_ms,
        network_overhead_ms=overhead if error is None else None,
        input_tokens=state.input_tokens,
        output_tokens=state.output_tokens,
        cache_read_tokens=state.cache_read_tokens,
        cache_write_tokens=state.cache_write_tokens,
        output_tps=None if buffered else _output_tps(state),
        http_status=x.status,
        request_id=request_id,
        cold=cold,
        error=error,
        ttfr_ms=_ms(state.first_reasoning_ns, t0),
        new_connection=x.t_connect_end is not None,  # opened (a refused one is an error)
        buffered=buffered,
    )
