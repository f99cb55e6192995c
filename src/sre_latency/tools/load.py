"""Load for the measuring tools: request rates, durations, sweeps, workers and watched processes.

``benchmark`` declares the options (``tools/benchmark.py``); this module reads them and builds
what measures: one engine (``probe.engine.ProbeEngine``, or a ``probe.workers.WorkerPool`` when
the load needs several client processes), or a ``probe.steps.StepEngine`` that measures one
step per sweep value, every step with its own warm-up, into one run file. ``Watching`` samples
the client's own process tree and the watched ones (``--watch-pid``, ``--watch-cmd``) every
second for the run's time series.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sre_latency.core.contract import Run
from sre_latency.errors import ConfigError
from sre_latency.probe.steps import StepSpec

MAX_DURATION_S = 7 * 24 * 3600.0
MAX_SWEEP_STEPS = 50
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?", re.IGNORECASE)
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(text: str | float, what: str = "--duration") -> float:
    """``"90s"``, ``"5m"``, ``"1h30m"``, ``"2.5m"`` or a number of seconds → seconds."""
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        raw = str(text).strip().replace(" ", "")
        parts = _DURATION_RE.findall(raw)
        if not raw or "".join(n + u for n, u in parts).lower() != raw.lower():
            raise ConfigError(f"bad {what} {text!r}: write it as 90s, 5m, 1h30m or seconds.")
        seconds = sum(float(n) * _UNIT_S[u.lower() or None] for n, u in parts)
    if not 0 < seconds <= MAX_DURATION_S:
        raise ConfigError(f"bad {what} {text!r}: must be more than 0 and at most 7 days.")
    return seconds


def parse_sweep(text: str) -> tuple[str, list[float]]:
    """``"rate=1,2,4,8"`` → ("rate", [1, 2, 4, 8]); ``"concurrency=1,4,16"`` likewise."""
    name, sep, values = str(text).partition("=")
    name = name.strip().lower()
    if not sep or name not in ("rate", "concurrency"):
        raise ConfigError(
            f"bad --sweep {text!r}: write rate=1,2,4,8 (requests/s per target) or "
            "concurrency=1,4,16,64."
        )
    try:
        numbers = [float(v) for v in values.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"bad --sweep {text!r}: the values must be numbers.") from None
    if not numbers or len(numbers) > MAX_SWEEP_STEPS:
        raise ConfigError(f"bad --sweep {text!r}: give 1 to {MAX_SWEEP_STEPS} values.")
    if any(not (v > 0 and math.isfinite(v)) for v in numbers):
        raise ConfigError(f"bad --sweep {text!r}: every value must be more than 0.")
    if name == "concurrency" and any(v != int(v) or v > 4096 for v in numbers):
        raise ConfigError(f"bad --sweep {text!r}: concurrencies are whole numbers up to 4096.")
    return name, numbers


def check_load(opts: Any) -> None:
    """Options that contradict each other, in one sentence each (before anything starts)."""
    from sre_latency.probe.arrivals import parse_arrival

    parse_arrival(opts.arrival)
    if opts.duration is not None:
        parse_duration(opts.duration)
        if "n" in opts.model_fields_set and opts.n != type(opts).model_fields["n"].default:
            raise ConfigError("-n and --duration are alternatives: give one of them.")
    if opts.sweep is not None:
        name, _ = parse_sweep(opts.sweep)
        if name == "rate" and opts.rate is not None:
            raise ConfigError("--sweep rate=… sets the rate of each step: drop --rate.")
    is_open = opts.rate is not None or (opts.sweep or "").strip().lower().startswith("rate")
    if opts.arrival != type(opts).model_fields["arrival"].default and not is_open:
        raise ConfigError("--arrival applies to an open loop: add --rate (or --sweep rate=…).")


def step_specs(opts: Any) -> list[StepSpec]:
    """The steps the options ask for: one, or one per sweep value."""
    duration_s = parse_duration(opts.duration) if opts.duration is not None else None
    n = None if duration_s is not None else opts.n
    base = StepSpec(rate_per_s=opts.rate, concurrency=opts.concurrency, n=n,
                    duration_s=duration_s, arrival=opts.arrival)  # fmt: skip
    if opts.sweep is None:
        return [base]
    name, values = parse_sweep(opts.sweep)
    if name == "rate":
        return [StepSpec(v, base.concurrency, n, duration_s, base.arrival, f"{v:g} req/s")
                for v in values]  # fmt: skip
    return [StepSpec(base.rate_per_s, int(v), n, duration_s, base.arrival, f"concurrency {v:g}")
            for v in values]  # fmt: skip


@dataclass
class LoadHooks:
    """How a tool built on benchmark steers it: the step plan, config knobs, a last word."""

    plan: Any = None  # a probe.steps.StepPlan
    config: dict[str, Any] = field(default_factory=dict)
    finalize: Callable[[Run], None] | None = None


@dataclass
class EngineKit:
    """What every engine of a run shares: targets, adapters, settings, prompt, knobs."""

    targets: list[Any]
    adapters: list[Any]
    settings: Any
    prompt: Any
    knobs: dict[str, Any]  # max_tokens, warmup, cold, seed, deadlines, transport
    workers: int | None = None  # --workers (None: as many as the load needs)

    def engine(self, spec: StepSpec, index: int = 0) -> Any:
        """One step's engine: in this process, or a pool of worker processes."""
        from sre_latency.probe.arrivals import make_arrivals
        from sre_latency.probe.engine import ProbeEngine
        from sre_latency.probe.workers import WorkerConfig, WorkerPool, workers_for

        seed = self.knobs.get("seed")
        seed = None if seed is None else seed + 7919 * index
        rate_total = spec.rate_per_s * len(self.targets) if spec.rate_per_s else None
        kwargs = {**self.knobs, "seed": seed, "n": spec.n or 1, "concurrency": spec.concurrency}
        count = workers_for(spec.concurrency, rate_total, self.workers)
        if count > 1:
            config = WorkerConfig(self.targets, self.settings, self.prompt, kwargs, rate_total,
                                  spec.arrival, spec.duration_s)  # fmt: skip
            return WorkerPool(self.targets, self.adapters, config, count)
        arrivals = make_arrivals(spec.arrival, rate_total, seed) if rate_total else None
        return ProbeEngine(self.targets, self.settings, self.prompt, adapters=self.adapters,
                           arrivals=arrivals, duration_s=spec.duration_s, **kwargs)  # fmt: skip

    def measure(self, specs: Sequence[StepSpec], plan: Any = None) -> Any:
        """The engine of the whole run: one step as itself, several (or a plan) as steps."""
        from sre_latency.probe.steps import FixedSteps, StepEngine

        if plan is None and len(specs) == 1:
            return self.engine(specs[0])
        return StepEngine(self.targets, self.adapters, self.engine, plan or FixedSteps(specs))


def engine_kit(opts: Any, providers: list[str], emulator: Any) -> EngineKit:
    """Targets, adapters (credentials checked) and the knobs every engine of the run shares."""
    from sre_latency.probe.engine import Deadlines, build_adapters
    from sre_latency.probe.prompts import make_prompt
    from sre_latency.probe.providers.base import ProbeSettings
    from sre_latency.probe.targets import BedrockVariants, build_targets, emulator_env

    env = dict(os.environ)
    if emulator is not None:
        env = emulator_env(env, emulator.base_url, emulator.emulator.profile)
    variants = BedrockVariants(opts.bedrock_guardrail, opts.bedrock_latency)
    targets = build_targets(
        providers, opts.model, env, geo=opts.bedrock_geo, bedrock=variants, raw_ids=opts.model_id
    )
    settings = ProbeSettings(env=env, bedrock_api=opts.bedrock_api, bedrock_geo=opts.bedrock_geo)
    deadlines = Deadlines(
        connect_s=opts.connect_timeout_s,
        first_token_s=opts.first_token_timeout_s or opts.timeout_s,
        total_s=opts.timeout_s,
    )
    knobs = {"max_tokens": opts.max_tokens, "warmup": opts.warmup, "cold": opts.cold,
             "seed": opts.seed, "deadlines": deadlines, "transport": opts.transport}  # fmt: skip
    adapters = build_adapters(targets, settings)
    return EngineKit(targets, adapters, settings, make_prompt(opts.prompt_size), knobs,
                     opts.workers)  # fmt: skip


class Watching:
    """The client's own process tree and the watched ones, sampled every second."""

    def __init__(self, pids: Sequence[int], command: str | None):
        self.pids = list(pids)
        self.command_text = command
        self.command: Any = None
        self.watch: Any = None
        self.roots: dict[str, int] = {}

    async def prepare(self, urls: Sequence[str]) -> None:
        """Check the pids; start ``--watch-cmd`` and wait until it listens (before the run)."""
        from sre_latency.probe.watch import StartedCommand, check_pid, process_label

        self.roots = {"client": os.getpid()}
        for pid in self.pids:
            check_pid(pid)
            self.roots[process_label(pid)] = pid
        if self.command_text:
            self.command = StartedCommand(self.command_text)
            try:
                await self.command.wait_ready(urls)
            except BaseException:
                self.stop_command()
                raise
            name = self.command.program
            self.roots[f"{name} (pid {self.command.pid}, --watch-cmd)"] = self.command.pid

    def start(self, run: Run) -> None:
        from sre_latency.probe.watch import ProcessWatch

        self.watch = ProcessWatch(self.roots, run.created_at).start()

    def finalize(self, run: Run) -> None:
        """Add the process series to the run's time series (called as the run is saved)."""
        if self.watch is not None and run.timeseries is not None:
            run.timeseries.processes.update(self.watch.stop())

    def stop_command(self) -> None:
        if self.command is not None:
            self.command.stop()
            self.command = None

    def stop(self) -> None:
        if self.watch is not None:
            self.watch.stop()
        self.stop_command()
