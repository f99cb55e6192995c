"""The probe engine: plans and sends requests by the rules of docs/contract.md#metrics, and turns bytes into Samples.

Method, in order:

1. adapters are built (credentials checked) and one transport (HTTP client) is created;
2. the warm-up (``warmup.py``): ``warmup`` rounds per target of real, discarded requests, at
   least ``concurrency`` in flight at once per origin so each worker finds an open connection —
   bounded by the run's deadlines, failures reported; all before any clock starts;
3. ``n`` rounds are measured; each round sends every target once, in a fresh random order drawn
   from a seeded RNG, so targets are interleaved and never measured in blocks;
4. ``concurrency`` workers each run a closed loop: the next planned request leaves as soon as the
   worker's previous one ended; their first requests are spread over one request's duration so
   the streams do not run in lock-step, with or without warm-up. No retries: a failure is a
   sample with an error;
5. while measuring, garbage collection is quieted and the client watches its own event-loop
   lag, schedule lag and CPU use (``health.py``); connections opened inside measured requests
   are counted (``method_notes``).

Each finished sample goes to ``on_sample`` at once (the caller journals it). Stopping
(``request_stop``) lets in-flight requests finish; cancelling drops them and keeps the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import perf_counter_ns

from sre_latency.core.contract import Sample, SampleError
from sre_latency.core.redact import scrub, strip_secrets
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
from sre_latency.probe.samples import build_sample
from sre_latency.probe.transport import (
    DeadlineExceeded,
    Exchange,
    Transport,
    choose_transport,
    make_transport,
    origin_of,
)
from sre_latency.probe.warmup import StartSpread, WarmupReport, warm_up, warmup_lanes

log = logging.getLogger("sre_latency.probe")
OnSample = Callable[[int, Sample], None]  # (target index, sample)
# A warm run whose measured requests opened more connections than this share is not valid:
# their TTFT includes connection set-up the run claims it did not measure.
MAX_NEW_CONNECTION_SHARE = 0.05


@dataclass(frozen=True)
class Deadlines:
    connect_s: float = 10.0
    first_token_s: float = 60.0
    total_s: float = 60.0


def build_adapters(targets: Sequence[Target], settings: ProbeSettings) -> list[Adapter]:
    """One adapter per target; raises CredentialsError before anything is sent."""
    return [adapter_class(t.provider)(t, settings) for t in targets]


@contextlib.contextmanager
def latency_errors_unwrapped():
    """A task's LatencyError (e.g. credentials that no longer refresh) reaches the caller as
    itself, one sentence, not wrapped in an exception group that nothing catches."""
    try:
        yield
    except BaseExceptionGroup as group:
        first = next((e for e in group.exceptions if isinstance(e, LatencyError)), None)
        if first is None:
            raise
        raise first from None


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


def unexpected(exc: Exception, doing: str, status: int | None = None) -> SampleError:
    """Anything a response makes go wrong is that sample's ``protocol`` error, never a dead run:
    a gateway must not be able to crash the instrument measuring it."""
    log.debug("unexpected error during %s", doing, exc_info=exc)
    return sample_error("protocol", f"unexpected {type(exc).__name__} during {doing}", status)


def _http_error(adapter: Adapter, x: Exchange) -> SampleError:
    try:
        return adapter.error_from_response(x.status or 0, x.headers or {}, x.body)
    except LatencyError:
        raise
    except Exception as exc:
        return unexpected(exc, f"the reading of an HTTP {x.status} error body", x.status)


def _redacted(
    adapter: Adapter, error: SampleError | None, request_id: str | None
) -> tuple[SampleError | None, str | None]:
    """What the response said, without any credential of the run: a gateway may echo the
    request it got (key, Basic auth, ``?key=``) in its error text or even in its request id."""
    if error is None and request_id is None:
        return None, None
    secrets = adapter.secrets()
    if error is not None:
        error = error.model_copy(update={"message": scrub(error.message, secrets)})
    if request_id is not None:
        request_id = strip_secrets(request_id, secrets)[:200]
    return error, request_id


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
        self.warmup_report = WarmupReport()
        self.new_connections = 0  # measured requests that opened a connection
        self._urls = [t.base_url or str(getattr(a, "endpoint", "")) for t, a in
                      zip(self.targets, self.adapters, strict=True)]  # fmt: skip
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
            if self.scheduled is None:  # a scheduled run warms up to its own rate (open_loop)
                workers = min(self.concurrency, max(1, len(self.measured_plan)))
                await self.warm_up(transport, workers)
            with quiet_gc():
                try:
                    if self.scheduled is not None:
                        await self.scheduled.drive(transport, on_sample)
                    else:
                        await self._drive(transport, on_sample, self.warmup_report.spread_ns)
                finally:
                    await self.health.stop()
        finally:
            await asyncio.shield(transport.aclose())

    async def warm_up(self, transport: Transport, connections: int) -> WarmupReport:
        """Send the warm-up (``warmup.py``) so ``connections`` per origin are open; add what
        came of it to ``warmup_report``."""
        origins = [origin_of(url) for url in self._urls]
        lanes = warmup_lanes(self.warmup_plan, origins, connections, self.cold)
        with latency_errors_unwrapped():
            await warm_up(lanes, lambda item: self._send(transport, item), self.warmup_report)
        return self.warmup_report

    async def _drive(
        self, transport: Transport, on_sample: OnSample, spread_ns: int | None
    ) -> None:
        """Closed-loop workers over the measured plan, their first requests spread over one
        request's duration (``warmup.StartSpread``) so ``concurrency`` streams never run in
        lock-step (a thundering herd of simultaneous starts and ends the client stamps late)."""
        items = self.measured_plan
        if not items:
            return
        feed = iter(items)
        workers = min(self.concurrency, len(items))
        spread = StartSpread(workers, spread_ns)

        async def worker(k: int) -> None:
            await spread.wait_turn(k)
            intended = perf_counter_ns()
            x: Exchange | None = None
            try:
                for item in feed:
                    if self._stop:
                        return
                    if not self.health.started:
                        self.health.start()
                    x = await self._one(transport, item, intended, on_sample)
                    if k == 0:
                        spread.first_done(x)
                    intended = x.t_end or perf_counter_ns()
            finally:
                if k == 0:
                    spread.first_done(x)

        with latency_errors_unwrapped():
            async with asyncio.TaskGroup() as tg:
                for k in range(workers):
                    tg.create_task(worker(k))

    async def _send(
        self, transport: Transport, item: Planned, state: StreamState | None = None
    ) -> tuple[Exchange, SampleError | None]:
        """One request, bounded by the run's deadlines; failures come back as a SampleError
        (scrubbed of the base URL's secrets), never as an exception (LatencyError aside)."""
        adapter = self.adapters[item.target]
        req = adapter.prepare(self.prompt, self.max_tokens)
        parser = adapter.parser()
        state = state if state is not None else StreamState()
        x = Exchange()
        error: SampleError | None = None
        dl = self.deadlines
        try:
            await transport.exchange(req, parser, state, x, dl.first_token_s, dl.total_s)
        except DeadlineExceeded as exc:
            error = sample_error("timeout", str(exc))
        except LatencyError:
            raise  # e.g. credentials that no longer refresh: the run cannot go on
        except Exception as exc:
            error = transport.classify(exc) or unexpected(exc, "the exchange")
            x.t_end = x.t_end or perf_counter_ns()
        if error is None:
            if x.status is not None and not 200 <= x.status < 300:
                error = _http_error(adapter, x)
            else:
                error = state.error
        return x, _redacted(adapter, error, None)[0]  # warm-up failures are shown too

    async def _one(
        self, transport: Transport, item: Planned, intended_ns: int, on_sample: OnSample
    ) -> Exchange:
        state = StreamState()
        x, error = await self._send(transport, item, state)
        self.health.schedule(intended_ns, x.t_start or intended_ns)
        started_at = self._wall0 + timedelta(microseconds=(x.t_start - self._perf0) / 1000)
        adapter = self.adapters[item.target]
        request_id = adapter.request_id(x.headers) if x.headers is not None else None
        request_id = _redacted(adapter, None, request_id)[1]
        sample = build_sample(
            self._seq, item.round, started_at, x, state, error, request_id, self.cold
        )
        self._seq += 1
        self.finished += 1
        if sample.new_connection:
            self.new_connections += 1
        on_sample(item.target, sample)
        return x

    def method_notes(self) -> tuple[list[str], bool]:
        """Validity notes about the method (warm-up, connections), and whether they make the
        run invalid: a warm run whose measured requests opened connections did not measure
        what it says it measured."""
        notes = self.warmup_report.notes()
        opened, done = self.new_connections, self.finished
        if self.cold or not opened:
            return notes, False
        why = (
            "--warmup 0 sends no warm-up request"
            if not self.warmup_plan
            else "the server or a proxy closed connections the warm-up opened"
        )
        notes.append(
            f"{opened} of {done} measured requests opened a connection inside the timed window "
            f"(their TTFT includes connection set-up): {why}; use --cold to measure that on "
            "purpose"
        )
        return notes, bool(self.warmup_plan) and opened > MAX_NEW_CONNECTION_SHARE * done
