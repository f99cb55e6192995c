"""Starting and recording a session run: checks, the emulator (with the task's script), the
OTLP receiver, the journal, and the saved ``session`` run at the end.

Everything that can be refused is refused before a session starts: an unknown provider or
task, missing credentials, no ``claude``. Each finished session is journalled at once (its
sample and its record), so an interrupted run keeps every finished session.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sre_latency.claude_code.session_env import SESSION_PROVIDERS, EmulatedEndpoint, provider_env
from sre_latency.claude_code.session_loop import SessionLoop, SessionTarget
from sre_latency.claude_code.task_spec import Task, load_task
from sre_latency.core.contract import Environment, ProviderResult, Run, RunConfig
from sre_latency.core.redact import public_url
from sre_latency.errors import ConfigError
from sre_latency.probe.handle import TaskRun
from sre_latency.store import RunStore, environment, new_run_id
from sre_latency.tools.probe_options import run_output
from sre_latency.tools.store_option import store_for

API_URL = "https://api.anthropic.com"
DEFAULT_MAX_SESSION_S = 600.0
SAMPLE_NOTE = (
    "a session run: each sample is one Claude Code session (total_ms its wall time, "
    "ttft_ms launch → first token)"
)
PROVIDER_NAMES = {"anthropic": "anthropic", "gateway": "anthropic", "bedrock": "bedrock"}


def max_session_s(opts: Any, task: Task) -> float:
    """The option when given, else the task's own limit, else 600 s."""
    return opts.max_session_s or task.max_session_s or DEFAULT_MAX_SESSION_S


def parse_session_providers(names: list[str]) -> list[str]:
    chosen = names or ["anthropic", "bedrock"]
    unknown = [n for n in chosen if n not in SESSION_PROVIDERS]
    if unknown:
        raise ConfigError(f"unknown provider {unknown[0]!r:.40} for session-benchmark; choose "
                          f"from {', '.join(SESSION_PROVIDERS)}.")  # fmt: skip
    return chosen


def task_for(ref: str, store: RunStore, confined: bool) -> Task:
    """The task: a built-in name; a directory (CLI); over MCP, one under ``<home>/tasks``."""
    if not confined:
        return load_task(ref)
    from sre_latency.claude_code.task_spec import BUILTIN_TASKS
    from sre_latency.store.resolve import check_plain, inside

    if ref in BUILTIN_TASKS:
        return load_task(ref)
    check_plain(ref, "task")
    root = store.home / "tasks"
    path = root / ref
    if not inside(path, root) or not path.is_dir():
        raise ConfigError(f"task must be {', '.join(BUILTIN_TASKS)} or a task directory under "
                          f"{root}, not {ref!r:.80}.")  # fmt: skip
    return load_task(str(path))


def model_id(model: str | None, provider: str) -> str | None:
    from sre_latency.core.catalogue import resolve_model

    return (
        resolve_model(model, "bedrock" if provider == "bedrock" else "anthropic") if model else None
    )


def start_emulator(opts: Any, task: Task, workspace: Path):
    from sre_latency.emulator import run_emulator_in_thread
    from sre_latency.emulator.profile import EmulatorProfile
    from sre_latency.emulator.scripted import Script
    from sre_latency.tools.emulation import EMULATE_PROFILE, emulator_overrides

    script = Script.from_data(task.script_data(workspace), source=str(task.script_path))
    profile = EmulatorProfile.build(**{**EMULATE_PROFILE, "port": 0, **emulator_overrides(opts)})
    return run_emulator_in_thread(profile, script=script)


def records_since(emulator):
    def since(seq: int) -> tuple[int, list[dict]]:
        recorder = emulator.recorder
        return recorder.last_seq, [r.to_dict() for r in recorder.snapshot(seq)]

    return since


def new_session_run(opts: Any, providers: list[str], task: Task, version: str, endpoints: dict,
                    seed: int) -> Run:  # fmt: skip
    from sre_latency.tools.emulation import emulator_overrides

    created = datetime.now(UTC)
    config = RunConfig(
        providers=providers, models=[opts.model] if opts.model else [], n=opts.n,
        timeout_s=max_session_s(opts, task), emulate=opts.emulate, seed=seed, warmup=0,
        max_tokens=0,
        task=task.name, task_builtin=task.builtin, task_description=task.description,
        allowed_tools=list(task.allowed_tools), max_session_s=max_session_s(opts, task),
        claude_code_version=version, permission_mode="acceptEdits",
        emulator=emulator_overrides(opts) or None,
    )  # fmt: skip
    env = Environment(**environment().model_dump(), claude_code_version=version)
    results = {p: ProviderResult(provider=PROVIDER_NAMES[p], model=model_id(opts.model, p) or "default",
                                 endpoint=endpoints[p], options={"route": p})
               for p in providers}  # fmt: skip
    return Run(run_id=new_run_id("session", created), kind="session", created_at=created,
               config=config, environment=env, providers=results,
               validity_notes=[SAMPLE_NOTE])  # fmt: skip


def _endpoint(provider: str, env: dict[str, str], emulated: str | None) -> str:
    if emulated:
        return emulated
    if provider == "bedrock":
        region = env.get("AWS_REGION", "")
        return public_url(env.get("ANTHROPIC_BEDROCK_BASE_URL")
                          or f"https://bedrock-runtime.{region}.amazonaws.com")  # fmt: skip
    return public_url(env.get("ANTHROPIC_BASE_URL") or API_URL)


async def start_sessions(opts: Any, on_sample=None, *, store: RunStore | None = None,
                         confined: bool = False) -> TaskRun:  # fmt: skip
    """Check, set up, and start the sessions in a task of their own (see the module doc)."""
    from sre_latency.claude_code.session_loop import claude_version, find_claude
    from sre_latency.tools.emulation import emulator_overrides

    store = store_for(opts, store)
    output = run_output(store, opts.output, confined=confined)
    providers = parse_session_providers(opts.providers)
    task = task_for(opts.task, store, confined)
    emulator_overrides(opts)  # the emulator options without emulate are refused here
    source = dict(os.environ)
    if not opts.emulate:  # missing credentials are refused before anything starts
        for p in providers:
            provider_env(p, source, model_id(opts.model, p), gateway_url=opts.gateway_url)
    elif not task.script_path.is_file():
        task.script_data(Path("."))  # raises its sentence
    claude = find_claude(opts.claude)
    version = await asyncio.to_thread(claude_version, claude)
    seed = opts.seed if opts.seed is not None else secrets.randbelow(2**31)
    measurement = SessionMeasurement(opts, task, providers, claude, version, seed, store, source)
    measurement.prepare(output, confined)
    return measurement.start(on_sample)


class SessionMeasurement:
    """One session run: its set-up, its loop, its record and its clean-up."""

    def __init__(self, opts, task, providers, claude, version, seed, store, source):  # fmt: skip
        self.opts, self.task, self.providers, self.store = opts, task, providers, store
        self.claude, self.version, self.seed, self.source = claude, version, seed, source
        self.scratch_root = Path(tempfile.mkdtemp(prefix="sre-latency-sessions-"))
        self.emulator = None
        self.receiver = None

    def prepare(self, output: Path | None, confined: bool) -> None:
        from sre_latency.claude_code.otlp import OtlpReceiver
        from sre_latency.claude_code.statusline import glue_file

        try:
            workspace = self.scratch_root / "workspace"
            emulated = None
            if self.opts.emulate:
                self.emulator = start_emulator(self.opts, self.task, workspace)
                profile = self.emulator.emulator.profile
                emulated = EmulatedEndpoint(self.emulator.base_url, profile.aws_access_key_id,
                                            profile.aws_secret_access_key)  # fmt: skip
            targets, endpoints = [], {}
            for p in self.providers:
                env = provider_env(p, self.source, model_id(self.opts.model, p), emulated,
                                   self.opts.gateway_url)  # fmt: skip
                targets.append(SessionTarget(p, env))
                endpoints[p] = _endpoint(p, env, emulated.base_url if emulated else None)
            self.receiver = OtlpReceiver().start()
            self.run = new_session_run(self.opts, self.providers, self.task, self.version,
                                       endpoints, self.seed)  # fmt: skip
            hook = glue_file("sre-latency-hook")
            if hook is None:
                self.run.validity_notes.append("the sre-latency hook was not found: tool calls "
                                               "come from OpenTelemetry only")  # fmt: skip
            self.loop = SessionLoop(
                targets=targets, task=self.task, claude=self.claude, n=self.opts.n,
                seed=self.seed, max_session_s=max_session_s(self.opts, self.task),
                scratch_root=self.scratch_root, source_env=self.source,
                python_dir=str(Path(sys.executable).parent), hook=hook,
                records_since=records_since(self.emulator) if self.emulator else None,
                receiver=self.receiver, tag=self.run.run_id,
            )  # fmt: skip
            self.writer = self.store.writer(self.run, output, confined=confined)
        except BaseException:
            self.close()
            raise

    def record(self, on_sample):
        from sre_latency.claude_code.session_record import sample_of

        def on_session(label: str, record, finished: int, planned: int) -> None:
            sample = sample_of(record)
            result = self.run.providers[label]
            result.samples.append(sample)
            result.sessions.append(record)
            models = [c.model for c in record.api_calls if c.model]
            if result.model == "default" and models:
                result.model = models[0]
            self.writer.append(label, sample)
            self.writer.append_session(label, record)
            if on_sample is not None:
                on_sample(label, sample, finished, planned)

        return on_session

    async def execute(self, on_sample) -> Run:
        outcome = "error"
        try:
            await self.loop.run(self.record(on_sample))
            outcome = "done"
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            try:
                self.finalize(outcome)
            finally:
                self.close()
        return self.run

    def finalize(self, outcome: str) -> None:
        from sre_latency.core.paired import compare_targets
        from sre_latency.core.stats import summarize

        run, loop = self.run, self.loop
        for result in run.providers.values():
            result.summary = summarize(result.samples)
        run.complete = outcome == "done" and loop.finished == loop.planned
        if not run.complete:
            run.validity_notes.append(f"{outcome} after {loop.finished} of {loop.planned} "
                                      "sessions; every finished session is kept")  # fmt: skip
        if len(run.providers) > 1:
            run.comparisons = compare_targets(run, seed=run.config.seed or 0)
        run.finished_at = datetime.now(UTC)
        self.writer.finish(run)

    def snapshot(self) -> Run:
        """The run so far, summarised (for run_status while sessions are still running)."""
        from sre_latency.core.stats import summarize

        run = self.run.model_copy(deep=True)
        for result in run.providers.values():
            result.summary = summarize(result.samples)
        return run

    def start(self, on_sample) -> TaskRun:
        task = asyncio.get_running_loop().create_task(self.execute(on_sample))
        return TaskRun(self.run.run_id, "session", self.writer.location, task, self.snapshot,
                       lambda: (self.loop.finished, self.loop.planned))  # fmt: skip

    def close(self) -> None:
        if self.receiver is not None:
            self.receiver.stop()
            self.receiver = None
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        shutil.rmtree(self.scratch_root, ignore_errors=True)
