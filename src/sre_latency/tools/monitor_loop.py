"""The monitor: targets, sinks and runs; the schedule of its probes is ``monitor_schedule``.

The adapters (and their credentials) are built once, at start; each probe opens its own
connection, since a provider closes an idle one long before the next interval. Every finished
sample goes, on the event loop, to: the current run (and its writer's journal), the rolling
window, the Prometheus instruments and the OTLP instruments. A probe that raises is logged and
counted; the monitor goes on. SIGTERM/SIGINT set the stop event: probes in flight are
cancelled (every finished sample is kept), the current run is saved, exporters are flushed.
A new run file begins every ``rotate`` (``rotate()``), so no file grows without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import sys
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sre_latency.core.contract import Run, Sample
from sre_latency.core.durations import parse_duration
from sre_latency.errors import ConfigError, LatencyError
from sre_latency.monitor.observation import observe
from sre_latency.store import RunStore, RunWriter
from sre_latency.store.naming import LOCATION_ENV, new_run_id
from sre_latency.tools.monitor_runs import finish_run, monitor_config

MAX_ROTATE_S = 86400.0


def stderr_log(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"{stamp} sre-latency monitor: {message}", file=sys.stderr, flush=True)


def monitor_run_id(location: str) -> str:
    """``<utc>-monitor-<location>-<hex>``: the location in the name lets ``monitor_status``
    pick one place's runs without reading the others."""
    stamp, _, tail = new_run_id("monitor").partition("-monitor-")
    slug = "".join(c if c.isalnum() else "-" for c in location.lower()).strip("-")[:40] or "here"
    return f"{stamp}-monitor-{slug}-{tail}"


class Monitor:
    """One monitor: ``await start()``, ``await rounds()``, ``await close()``, ``result()``."""

    def __init__(self, opts: Any, store: RunStore, log: Any = None):
        from sre_latency.core.slo import default_table, load_slo_file
        from sre_latency.tools.emulation import emulator_overrides

        self.opts, self.store, self.log = opts, store, log or stderr_log
        self.every_s = parse_duration(opts.every, "--every")
        self.window_s = parse_duration(opts.window, "--window")
        self.rotate_s = parse_duration(opts.rotate, "--rotate")
        if self.rotate_s > MAX_ROTATE_S:
            raise ConfigError("--rotate is at most 24h: a run file per day or more often.")
        if opts.once and opts.listen:
            raise ConfigError("--listen serves a monitor that keeps running; with --once, push "
                              "with --otlp-endpoint or read the store instead.")  # fmt: skip
        self.table = load_slo_file(opts.slo) if opts.slo else default_table()
        self.location = opts.location or os.environ.get(LOCATION_ENV) or socket.gethostname()
        self.overrides = emulator_overrides(opts)
        self.rng = random.Random()
        self.started_at = self.stopped_at = datetime.now(UTC)
        self.stopped_by = "once" if opts.once else "signal"
        self.emulator = self.http = self.otlp = self.prom = self.window = None
        self.run: Run | None = None
        self.writer: RunWriter | None = None
        self.saved: list[str] = []
        self.notes: list[str] = []
        self.rounds_done = self.requests = self.errors = self.failed_probes = 0
        self.seq = 0
        self.stopped = asyncio.Event()
        self.scheduler: Any = None
        self._signals: list[int] = []

    def stop(self) -> None:
        self.stopped.set()

    async def start(self) -> None:
        """Targets and credentials, exporters, the first run; ConfigError before any request."""
        from sre_latency.probe.engine import build_adapters
        from sre_latency.probe.prompts import make_prompt
        from sre_latency.probe.providers.base import ProbeSettings
        from sre_latency.probe.targets import build_targets, parse_providers
        from sre_latency.tools.benchmark import DEFAULT_PROVIDERS, EMULATE_DEFAULT_PROVIDERS

        opts = self.opts
        self.providers = parse_providers(
            opts.providers, EMULATE_DEFAULT_PROVIDERS if opts.emulate else DEFAULT_PROVIDERS
        )
        env = self._env()
        self.targets = build_targets(self.providers, opts.model, env, geo=opts.bedrock_geo)
        self.settings = ProbeSettings(env=env, bedrock_api=opts.bedrock_api,
                                      bedrock_geo=opts.bedrock_geo)  # fmt: skip
        self.adapters = build_adapters(self.targets, self.settings)  # credentials, now
        self.prompt = make_prompt(opts.prompt_size)
        await self._warm_up()
        self._start_sinks()
        self.config = monitor_config(self)
        await self._open_run(first=True)
        self._install_signals()
        self.log(self._start_line())

    async def _warm_up(self) -> None:
        """Load what a probe needs (the HTTP stack, its TLS context) and collect the heap now,
        so that the first request's time is not an import's."""
        import gc

        from sre_latency.probe.transport import make_transport

        o = self.opts
        await make_transport(
            o.transport, cold=False, connect_timeout_s=o.connect_timeout_s
        ).aclose()
        gc.collect()

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if not self.opts.emulate:
            return env
        from sre_latency.probe.targets import emulator_env
        from sre_latency.tools.emulation import start_emulator

        self.emulator = start_emulator(self.overrides)
        return emulator_env(env, self.emulator.base_url, self.emulator.emulator.profile)

    def _start_sinks(self) -> None:
        from sre_latency.monitor.prometheus import PrometheusSink
        from sre_latency.monitor.window import RollingWindow

        goodput = self.table.goodput
        self.window = RollingWindow(
            self.window_s,
            self.table.objective,
            f"the rolling window of the monitor at {self.location}",
        )
        self.prom = PrometheusSink(goodput)
        self.prom.declare({"provider": t.provider, "model": t.model, "target": t.label,
                           "location": self.location} for t in self.targets)  # fmt: skip
        if self.opts.listen:
            from sre_latency.monitor.http import MonitorHttp

            self.http = MonitorHttp(self.opts.listen, self.prom.exposition, self.status_json)
        if self.opts.otlp_endpoint:
            from sre_latency.monitor.otlp import OtlpSink

            self.otlp = OtlpSink(self.opts.otlp_endpoint, self.location, socket.gethostname(),
                                 min(self.every_s, 60.0), goodput)  # fmt: skip

    def _start_line(self) -> str:
        where = [f"/metrics on {self.http.url}/metrics"] if self.http else []
        where += [f"OTLP to {self.opts.otlp_endpoint}"] if self.otlp else []
        where.append(f"runs to {self.store.location}")
        labels = ", ".join(t.label for t in self.targets)
        return (f"probing {labels} every {self.opts.every} (jitter {self.opts.jitter_pct:g} %) "
                f"from {self.location}; " + "; ".join(where))  # fmt: skip

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self.stop)
                self._signals.append(signum)

    def status_json(self, query: dict[str, str]) -> str:
        """``/status``: the rolling window (``provider``, ``location``, ``last`` filters)."""
        last = parse_duration(query["last"], "last") if query.get("last") else None
        status = self.window.status(query.get("provider"), query.get("location"), last)  # type: ignore[union-attr]
        return status.model_dump_json()

    async def _open_run(self, first: bool = False) -> None:
        from sre_latency.probe.session import new_run

        engine_like = SimpleNamespace(targets=self.targets, adapters=self.adapters)
        run = new_run("monitor", self.config, engine_like, run_id=monitor_run_id(self.location))  # type: ignore[arg-type]
        run.environment.location = self.location
        self.run, self.writer = run, None
        try:
            self.writer = await asyncio.to_thread(self.store.writer, run)
        except LatencyError as exc:
            if first:
                self.run = None
                raise  # the store is unusable: say so before probing anything
            self.log(f"cannot start run {run.run_id} in the store ({exc}); its samples are "
                     "kept in memory and saved at the next rotation")  # fmt: skip

    def on_sample(self, index: int, sample: Sample, round_: int) -> None:
        """Every finished request: run, journal, window, Prometheus, OTLP (on the loop)."""
        t = self.targets[index]
        sample = sample.model_copy(update={"seq": self.seq, "round": round_})
        self.seq += 1
        self.requests += 1
        run = self.run
        assert run is not None
        run.providers[t.label].samples.append(sample)
        if self.writer is not None:
            self.writer.append(t.label, sample)
        o = observe(t.label, t.provider, t.model, self.location, sample, self.table.goodput)
        compliance = self.window.add(o)  # type: ignore[union-attr]
        self.prom.observe(o, compliance)  # type: ignore[union-attr]
        if self.otlp is not None:
            self.otlp.observe(o, compliance)
        if sample.error is not None:
            self.errors += 1
            self.log(f"{t.label}: {sample.error.class_} error ({sample.error.message[:160]})")

    async def rounds(self) -> None:
        """Probe every target once per interval until stopped (``tools.monitor_schedule``)."""
        from sre_latency.tools.monitor_schedule import Scheduler

        self.scheduler = Scheduler(self)
        await self.scheduler.run()

    def engine_for(self, index: int) -> Any:
        """The one-target, one-request engine of a probe (a seam for tests)."""
        return self.scheduler._engine(index)

    async def rotate(self) -> None:
        """Close the current run file and begin the next one."""
        old_run, old_writer = self.run, self.writer
        await self._open_run()
        await self._finish(old_run, old_writer, "rotated")

    async def _finish(self, run: Run | None, writer: RunWriter | None, why: str) -> None:
        if run is None:
            return
        try:
            where = await asyncio.to_thread(finish_run, run, writer, self.store, why)
        except LatencyError as exc:
            self.notes.append(f"run {run.run_id} not saved: {exc}")
            self.log(f"could not save run {run.run_id}: {exc}")
            return
        self.saved.append(where)
        self.log(f"saved run {where} ({sum(len(p.samples) for p in run.providers.values())} "
                 "samples)")  # fmt: skip

    async def close(self) -> None:
        """Save the current run, flush OTLP, stop the HTTP server and the emulator."""
        self.stopped_at = datetime.now(UTC)
        try:
            await self._finish(self.run, self.writer, f"stopped ({self.stopped_by})")
            self.run = None
            if self.otlp is not None:
                await asyncio.to_thread(self.otlp.close)
        finally:
            if self.http is not None:
                self.http.close()
            if self.emulator is not None:
                self.emulator.stop()
            loop = asyncio.get_running_loop()
            for signum in self._signals:
                loop.remove_signal_handler(signum)

    def result(self) -> Any:
        from sre_latency.tools.monitor_runs import monitor_result

        return monitor_result(self)
