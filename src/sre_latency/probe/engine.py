"""The probe engine: plans and sends requests by the rules of docs/contract.md#metrics, and turns bytes into Samples.

Method, in order:

1. adapters are built (credentials checked) and one transport (HTTP client) is created; with
   ``concurrency > 1`` idle connections are opened up front — all before any clock starts;
2. ``warmup`` rounds per target are sent and discarded (they also warm the connection pool);
3. ``n`` rounds are measured; each round sends every target once, in a fresh random order drawn
   from a seeded RNG, so targets are interleaved and never measured in blocks;
4. ``concurrency`` workers each run a closed loop: the next planned request leaves as soon as the
   worker's previous one ended; their first requests are spread over one request's duration so
   the streams do not run in lock-step. No retries: a failure is a sample with an error;
5. while measuring, garbage collection is quieted and the client watches its own event-loop
   lag, schedule lag and CPU use (``health.py``).

Each finished sample goes to ``on_sample`` at once (the caller journals it). Stopping
(``request_stop``) lets in-flight requests finish; cancelling drops them and keeps the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import perf_counter_ns

from sre_latency.core.contract import ITL, Sample, SampleError
from sre_latency.core.stats import linear_percentile
from sre_latency.errors import LatencyError
from sre_latency.probe.health import HealthWatch
from sre_latency.probe.plan import Arrivals, ClosedLoop, Planned, plan
from sre_latency.probe.prompts import Prompt
from sre_latency.probe.providers import adapter_class
from sre_latency.probe.providers.base import (
    Adapter,
    ProbeSettings,
    StreamState,
    Target,
    sample_error,
)
from sre_latency.probe.transport import (
    DeadlineExceeded,
    Exchange,
    Transport,
    choose_transport,
    make_transport,
)

OnSample = Callable[[int, Sample], None]  # (target index, sample)
MAX_SPREAD_NS = 10_000_000_000  # workers' start offsets span at most 10 s


@dataclass(frozen=True)
class Deadlines:
    connect_s: float = 10.0
    first_token_s: float = 60.0
    total_s: float = 60.0


def build_adapters(targets: Sequence[Target], settings: ProbeSettings) -> list[Adapter]:
    """One adapter per target; raises CredentialsError before anything is sent."""
    return [adapter_class(t.provider)(t, settings) for t in targets]


def _ms(later: int | None, earlier: int | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier) / 1e6


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
    t0 = x.t_start
    gaps = sorted(g / 1e6 for g in state.gaps_ns)
    itl = ITL(n=len(gaps))
    if gaps:
        itl = ITL(
            n=len(gaps),
            mean=sum(gaps) / len(gaps),
            p50=linear_percentile(gaps, 50),
            p99=linear_percentile(gaps, 99),
        )
    generation_ms = _ms(state.last_content_ns, state.first_content_ns)
    total_ms = _ms(x.t_end, t0) if t0 else None
    output_tps = None
    if state.content_deltas >= 2 and generation_ms and state.output_tokens:
        output_tps = state.output_tokens / (generation_ms / 1000.0)
    overhead = None
    if total_ms is not None and state.server_latency_ms is not None:
        overhead = total_ms - state.server_latency_ms
    return Sample(
        seq=seq,
        round=round_,
        started_at=started_at,
        ttfb_ms=_ms(x.t_headers, t0) if t0 else None,
        ttft_ms=_ms(state.first_content_ns, t0) if t0 else None,
        generation_ms=generation_ms,
        total_ms=total_ms,
        request_sent_ms=_ms(x.t_sent, t0) if t0 else None,
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
        output_tps=output_tps,
        http_status=x.status,
        request_id=request_id,
        cold=cold,
        error=error,
    )


@contextlib.contextmanager
def quiet_gc(young_threshold: int = 20_000):
    """Fewer, shorter garbage collections while measuring.

    A full collection walks every object, and each pause delays every byte that arrives during
    it (at 256 streams we saw 50-150 ms pauses). Objects that exist before the clock starts are
    frozen out of collection, and young collections run less often; both are undone after.
    """
    old = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(max(old[0], young_threshold), max(old[1], 20), max(old[2], 50))
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


class ProbeEngine:
    """Runs one plan against one transport. Build it, then ``await run(on_sample)`` once."""

    def __init__(
        self,
        targets: Sequence[Target],
        settings: ProbeSettings,
        prompt: Prompt,
        *,
        n: int,
        max_tokens: int = 64,
        warmup: int = 2,
        concurrency: int = 1,
        cold: bool = False,
        seed: int | None = None,
        deadlines: Deadlines | None = None,
        transport: str = "auto",
        adapters: Sequence[Adapter] | None = None,
        arrivals: Arrivals | None = None,
        duration_s: float | None = None,
    ):
        self.targets = list(targets)
        self.adapters = (
            list(adapters) if adapters is not None else build_adapters(targets, settings)
        )
        self.prompt = prompt
        self.max_tokens = max_tokens
        self.concurrency = max(1, concurrency)
        self.cold = cold
        self.deadlines = deadlines or Deadlines()
        self.transport_name = choose_transport(transport, cold)
        self.warmup_plan, self.measured_plan = plan(len(self.targets), n, warmup, seed)
        self.arrivals = arrivals or ClosedLoop()
        self.scheduled = None  # open loop or time-bound: probe/open_loop.py drives the run
        if duration_s is not None or self.arrivals.offsets_ns(0) is not None:
            from sre_latency.probe.open_loop import Scheduled

            self.scheduled = Scheduled(self, duration_s, seed)
        self.health = HealthWatch()
        self.finished = 0
        self._stop = False
        self._seq = 0
        self._wall0 = datetime.now(UTC)
        self._perf0 = perf_counter_ns()

    @property
    def planned(self) -> int:
        return self.scheduled.planned if self.scheduled else len(self.measured_plan)

    def request_stop(self) -> None:
        """Send nothing more; requests in flight finish and are kept."""
        self._stop = True

    async def run(self, on_sample: OnSample) -> None:
        transport = make_transport(
            self.transport_name, cold=self.cold, connect_timeout_s=self.deadlines.connect_s
        )
        try:
            if self.concurrency > 1:
                urls = [t.base_url for t in self.targets]
                await transport.preconnect(urls, self.concurrency)
            with quiet_gc():
                try:
                    if self.scheduled is not None:
                        await self.scheduled.drive(transport, on_sample)
                    else:
                        await self._drive(transport, on_sample)
                finally:
                    await self.health.stop()
        finally:
            await asyncio.shield(transport.aclose())

    async def _drive(self, transport: Transport, on_sample: OnSample) -> None:
        """Closed-loop workers over the warm-up then the measured plan, without a barrier.

        With a warm-up, worker 0 sends first; the others start spread over the duration of
        that first request, so ``concurrency`` streams do not run in lock-step (a thundering
        herd of simultaneous starts and ends that the client would then stamp late).
        """
        items = self.warmup_plan + self.measured_plan
        if not items:
            return
        feed = iter(items)
        workers = min(self.concurrency, len(items))
        first_done = asyncio.Event()
        spread_ns = 0

        async def worker(k: int) -> None:
            nonlocal spread_ns
            if k and self.warmup_plan:
                await first_done.wait()
                await asyncio.sleep(k * spread_ns / workers / 1e9)
            intended = perf_counter_ns()
            try:
                for item in feed:
                    if self._stop:
                        return
                    if not item.warmup and not self.health.started:
                        self.health.start()
                    x = await self._one(
                        transport, item, intended, None if item.warmup else on_sample
                    )
                    if k == 0 and not first_done.is_set():
                        spread_ns = min(max(0, x.t_end - x.t_start), MAX_SPREAD_NS)
                        first_done.set()
                    intended = x.t_end or perf_counter_ns()
            finally:
                if k == 0:
                    first_done.set()

        try:
            async with asyncio.TaskGroup() as tg:
                for k in range(workers):
                    tg.create_task(worker(k))
        except BaseExceptionGroup as group:
            # A worker's LatencyError (e.g. credentials that no longer refresh) must reach the
            # caller as itself, one sentence, not wrapped in a group that nothing catches.
            first = next((e for e in group.exceptions if isinstance(e, LatencyError)), None)
            if first is None:
                raise
            raise first from None

    async def _one(
        self, transport: Transport, item: Planned, intended_ns: int, on_sample: OnSample | None
    ) -> Exchange:
        adapter = self.adapters[item.target]
        req = adapter.prepare(self.prompt, self.max_tokens)
        parser = adapter.parser()
        state = StreamState()
        x = Exchange()
        error: SampleError | None = None
        dl = self.deadlines
        try:
            await transport.exchange(req, parser, state, x, dl.first_token_s, dl.total_s)
        except DeadlineExceeded as exc:
            error = sample_error("timeout", str(exc))
        except Exception as exc:
            error = transport.classify(exc)
            if error is None:
                raise
            x.t_end = x.t_end or perf_counter_ns()
        if error is None:
            if x.status is not None and not 200 <= x.status < 300:
                error = adapter.error_from_response(x.status, x.headers or {}, x.body)
            else:
                error = state.error
        if on_sample is None:
            return x
        self.health.schedule(intended_ns, x.t_start or intended_ns)
        started_at = self._wall0 + timedelta(microseconds=(x.t_start - self._perf0) / 1000)
        request_id = adapter.request_id(x.headers) if x.headers is not None else None
        sample = build_sample(
            self._seq, item.round, started_at, x, state, error, request_id, self.cold
        )
        self._seq += 1
        self.finished += 1
        on_sample(item.target, sample)
        return x
