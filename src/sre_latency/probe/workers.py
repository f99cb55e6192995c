"""Client scale: one measuring process per core, when the requested load needs it.

At a few hundred streams one Python process is the limit: every byte waits for the one event
loop, and the timestamps grow late (the saturation check then marks the run invalid). A
``WorkerPool`` splits the load over worker processes (spawned: each has its own interpreter,
event loop and connection pool) and looks like one engine to ``RunSession``:

- the plan is partitioned by rounds: each worker measures every target (interleaved as
  usual), with its share of the rounds, of the concurrency and of the request rate; its
  arrival process has a seed of its own, so the superposed arrivals keep their law (W Poisson
  streams at R/W are one at R). Round numbers are renumbered ``round × W + worker``: pairs
  stay within one process and one moment;
- workers are started as ``python -m sre_latency.probe.workers FD`` (not multiprocessing's
  spawn, which re-runs the caller's main module) and get their configuration, keys included,
  pickled over a socket pair: never on a command line or in a file;
- the workers start together (a barrier after start-up), stream each finished sample to
  this process at once, which journals it in the run's one journal;
- each worker checks its own saturation; its notes are kept, named by worker.

``workers_for`` decides how many: one, unless the concurrency or the rate passes what one
process measures cleanly (``STREAMS_PER_WORKER``, ``RATE_PER_WORKER``), and never more than
the machine's cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from typing import Any

from sre_latency.core.contract import ClientHealth, Sample
from sre_latency.errors import LatencyError
from sre_latency.probe.providers.base import Adapter, ProbeSettings, Target

STREAMS_PER_WORKER = 128  # streams one process timestamps within the fidelity targets
RATE_PER_WORKER = 150.0  # requests/s of 64-token streams one process sends and reads cleanly
START_TIMEOUT_S = 60.0


def workers_for(concurrency: int, rate_total_per_s: float | None, requested: int | None) -> int:
    """How many client processes the load needs (``requested`` wins when given)."""
    if requested:
        return requested
    cores = os.cpu_count() or 1
    need = math.ceil(concurrency / STREAMS_PER_WORKER)
    if rate_total_per_s:
        need = max(need, math.ceil(rate_total_per_s / RATE_PER_WORKER))
    return max(1, min(cores, need))


def share(total: int, parts: int, k: int) -> int:
    """Part ``k`` of ``total`` split as evenly as whole numbers allow."""
    return total // parts + (1 if k < total % parts else 0)


@dataclass
class WorkerConfig:
    """Everything one worker needs to build its engine (pickled to it; never on a command line)."""

    targets: list[Target]
    settings: ProbeSettings
    prompt: Any
    engine: dict[str, Any]  # ProbeEngine keyword arguments (n, warmup, concurrency, …)
    rate_total_per_s: float | None = None
    arrival: str = "poisson"
    duration_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _worker_main(conn, config: WorkerConfig) -> None:
    """A worker process: build the engine, wait for the go, measure, stream samples back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover - Windows
        runner = asyncio.run
    runner(_measure_in_worker(conn, config))


async def _measure_in_worker(conn, config: WorkerConfig) -> None:
    from sre_latency.probe.arrivals import make_arrivals
    from sre_latency.probe.engine import ProbeEngine

    try:
        arrivals = None
        if config.rate_total_per_s is not None:
            arrivals = make_arrivals(config.arrival, config.rate_total_per_s,
                                     config.engine.get("seed"))  # fmt: skip
        engine = ProbeEngine(config.targets, config.settings, config.prompt, arrivals=arrivals,
                             duration_s=config.duration_s, **config.engine)  # fmt: skip
    except LatencyError as exc:
        conn.send(("error", str(exc)))
        return
    loop = asyncio.get_running_loop()
    go, measure = asyncio.Event(), asyncio.Event()

    def listen() -> None:  # the parent's "go", "measure" and "stop"
        with contextlib.suppress(EOFError, OSError):
            while True:
                message = conn.recv()
                if message == "go":
                    loop.call_soon_threadsafe(go.set)
                elif message == "measure":
                    loop.call_soon_threadsafe(measure.set)
                elif message == "stop":  # stop, also while waiting for the others
                    loop.call_soon_threadsafe(engine.request_stop)
                    loop.call_soon_threadsafe(measure.set)
                    loop.call_soon_threadsafe(go.set)
                    return

    threading.Thread(target=listen, daemon=True).start()
    if engine.scheduled is not None:  # timed sends: every worker's clock starts together

        async def warmed() -> None:
            conn.send(("warmed",))
            await measure.wait()

        engine.scheduled.before_measure = warmed
    conn.send(("ready", engine.planned))
    await go.wait()
    try:
        await engine.run(lambda target, sample: conn.send(("sample", target, sample)))
    except LatencyError as exc:
        conn.send(("error", str(exc)))
    health, notes = engine.health.report(engine.finished)
    conn.send(("done", health, notes, engine.finished, *engine.method_notes()))


class _Worker:
    def __init__(self, index: int, process, conn):
        self.index = index
        self.process = process
        self.conn = conn
        self.planned = 0
        self.finished = 0
        self.health: ClientHealth | None = None
        self.notes: list[str] = []
        self.method_notes: list[str] = []  # warm-up and connections (engine.method_notes)
        self.method_invalid = False
        self.error: str | None = None
        self.done = False


class PoolHealth:
    """The workers' own saturation checks, merged: the worst figure, every note named."""

    def __init__(self, pool: WorkerPool):
        self.pool = pool

    def report(self, requests: int) -> tuple[ClientHealth, list[str]]:
        parts = [(w, w.health) for w in self.pool.workers if w.health is not None]

        def worst(name: str) -> float | None:
            values = [getattr(h, name) for _, h in parts if getattr(h, name) is not None]
            return max(values) if values else None

        def total(name: str) -> int | None:
            values = [getattr(h, name) for _, h in parts if getattr(h, name) is not None]
            return sum(values) if values else None

        cpu = [h.cpu_ms_per_request * w.finished for w, h in parts if h.cpu_ms_per_request]
        health = ClientHealth(
            loop_lag_p50_ms=worst("loop_lag_p50_ms"), loop_lag_p99_ms=worst("loop_lag_p99_ms"),
            loop_lag_max_ms=worst("loop_lag_max_ms"),
            schedule_lag_p99_ms=worst("schedule_lag_p99_ms"),
            cpu_ms_per_request=sum(cpu) / requests if requests and cpu else None,
            late_sends=total("late_sends"),
            workers=len(self.pool.workers),
        )  # fmt: skip
        notes = [f"worker {w.index}: {note}" for w in self.pool.workers for note in w.notes]
        notes += [f"worker {w.index}: {w.error}" for w in self.pool.workers if w.error]
        return health, notes


class WorkerPool:
    """``count`` worker processes measuring one plan between them (see the module docstring)."""

    def __init__(self, targets: Sequence[Target], adapters: Sequence[Adapter],
                 config: WorkerConfig, count: int):  # fmt: skip
        self.targets = list(targets)
        self.adapters = list(adapters)
        self.config = config
        self.count = count
        self.workers: list[_Worker] = []
        self.health = PoolHealth(self)
        self._seq = 0
        self._stopping = False
        self.concurrency = int(config.engine.get("concurrency", 1))

    def method_notes(self) -> tuple[list[str], bool]:
        """Every worker's warm-up and connection notes, named; invalid when one's is."""
        notes = [f"worker {w.index}: {note}" for w in self.workers for note in w.method_notes]
        return notes, any(w.method_invalid for w in self.workers)

    @property
    def finished(self) -> int:
        return sum(w.finished for w in self.workers)

    @property
    def planned(self) -> int:
        if not self.workers:
            n = int(self.config.engine.get("n", 0))
            return n * len(self.targets)
        return sum(w.planned if not w.done else w.finished for w in self.workers)

    def _config_of(self, k: int) -> WorkerConfig:
        c, count = self.config, self.count
        engine = dict(c.engine)
        engine["n"] = share(int(engine.get("n", 1)), count, k) or 1
        engine["concurrency"] = max(1, share(int(engine.get("concurrency", 1)), count, k))
        if engine.get("seed") is not None:
            engine["seed"] = int(engine["seed"]) + k
        rate = c.rate_total_per_s / count if c.rate_total_per_s is not None else None
        return replace(c, engine=engine, rate_total_per_s=rate)

    def request_stop(self) -> None:
        self._stopping = True
        for w in self.workers:
            with contextlib.suppress(OSError, ValueError):
                w.conn.send("stop")

    def _spawn(self, k: int) -> _Worker:
        ours, theirs = socket.socketpair()
        with ours, theirs:
            proc = subprocess.Popen(
                [sys.executable, "-m", "sre_latency.probe.workers", str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
            )  # fmt: skip
            conn = Connection(os.dup(ours.fileno()))
        conn.send(self._config_of(k))
        return _Worker(k, proc, conn)

    async def run(self, on_sample: Callable[[int, Sample], None]) -> None:
        loop = asyncio.get_running_loop()
        ready = [asyncio.Event() for _ in range(self.count)]
        ended = [asyncio.Event() for _ in range(self.count)]
        self._warmed: set[int] = set()
        for k in range(self.count):
            self.workers.append(self._spawn(k))
        for w in self.workers:
            threading.Thread(target=self._read, args=(w, loop, on_sample, ready, ended),
                             daemon=True).start()  # fmt: skip
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                await asyncio.gather(*(e.wait() for e in ready))
            failed = [w.error for w in self.workers if w.error]
            if failed:
                raise LatencyError(failed[0])
            for w in self.workers:
                w.conn.send("go")
            await asyncio.gather(*(e.wait() for e in ended))
        finally:
            await asyncio.shield(asyncio.to_thread(self._end_processes))

    def _read(self, w: _Worker, loop, on_sample, ready, ended) -> None:
        """A reader thread per worker: each message is handled on the event loop."""

        def handle(message: tuple) -> None:
            kind = message[0]
            if kind == "sample":
                _, target, sample = message
                sample.round = sample.round * self.count + w.index
                sample.seq = self._seq
                self._seq += 1
                w.finished += 1
                on_sample(target, sample)
            elif kind == "ready":
                w.planned = message[1]
                ready[w.index].set()
            elif kind == "warmed":  # the last one to finish its warm-up starts every clock
                self._warmed.add(w.index)
                if len(self._warmed) == self.count:
                    for other in self.workers:
                        with contextlib.suppress(OSError, ValueError):
                            other.conn.send("measure")
            elif kind == "error":
                w.error = message[1]
                ready[w.index].set()
            elif kind == "done":
                _, w.health, w.notes, _, w.method_notes, w.method_invalid = message
                w.done = True

        try:
            while True:
                message = w.conn.recv()
                loop.call_soon_threadsafe(handle, message)
                if message[0] == "done":
                    break
        except (EOFError, OSError):
            if not w.done:
                code = w.process.poll()
                note = "stopped unexpectedly" + (f" (exit code {code})" if code else "")
                loop.call_soon_threadsafe(setattr, w, "error", w.error or note)
                loop.call_soon_threadsafe(self.request_stop)  # the others must not wait for it
        finally:
            loop.call_soon_threadsafe(ready[w.index].set)
            loop.call_soon_threadsafe(ended[w.index].set)

    def _end_processes(self) -> None:
        """Our own worker processes only, by their handles: asked, then made, to end."""
        for w in self.workers:
            try:
                w.process.wait(timeout=10.0 if w.done else 0.5)
            except subprocess.TimeoutExpired:
                w.process.terminate()
                try:
                    w.process.wait(timeout=5.0)
                except subprocess.TimeoutExpired:
                    w.process.kill()
                    w.process.wait(timeout=5.0)
            w.conn.close()


if __name__ == "__main__":  # a worker process (see ``WorkerPool._spawn``)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _conn = Connection(int(sys.argv[1]))
    _worker_main(_conn, _conn.recv())
