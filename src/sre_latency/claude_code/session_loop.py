"""A run of benchmark sessions: rounds of one session per provider, in a fresh random order per
round, one at a time (two at once would share the machine and skew each other).

Each session: a fresh workspace and scratch HOME, ``claude -p`` with the provider's variables,
then its OpenTelemetry events (filtered by the session's resource tag), its hook log, the
emulator's records when emulated, and the task's check, joined into a ``SessionRecord``
(``session_record``). The scratch directory (transcripts, settings) is removed after each
session; only the record is kept.
"""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sre_latency.claude_code.otlp import OtlpReceiver
from sre_latency.claude_code.otlp_decode import Decoded, decode
from sre_latency.claude_code.session_env import (
    RESOURCE_TAG,
    Scratch,
    otel_env,
    prepare_scratch,
    session_env,
)
from sre_latency.claude_code.session_record import build_record
from sre_latency.claude_code.session_run import (
    fresh_workspace,
    read_hook_log,
    run_check,
    run_claude,
)
from sre_latency.claude_code.task_spec import Task
from sre_latency.core.sessions import SessionRecord
from sre_latency.errors import ConfigError

FLUSH_GRACE_S = 2.0  # Claude Code's own shutdown wait for its last export
INSTALL_HINT = "npm install -g @anthropic-ai/claude-code"
OnSession = Callable[[str, SessionRecord, int, int], None]  # label, record, finished, planned
RecordsSince = Callable[[int], tuple[int, list[dict]]]  # seq → (last seq, records after seq)


def find_claude(explicit: str | None) -> Path:
    """The ``claude`` to run: ``explicit``, else the one on PATH; ConfigError naming the install."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"--claude {explicit} is not a file; install Claude Code with "
                              f"`{INSTALL_HINT}`.")  # fmt: skip
        return path
    found = shutil.which("claude")
    if found is None:
        raise ConfigError(f"Claude Code is not installed (no `claude` on PATH): install it with "
                          f"`{INSTALL_HINT}`, or pass --claude PATH.")  # fmt: skip
    return Path(found)


def claude_version(claude: Path) -> str:
    """``2.1.330`` from ``claude --version``; ConfigError when it does not run."""
    try:
        done = subprocess.run([str(claude), "--version"], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(
            f"{claude} does not run ({exc}); reinstall it with `{INSTALL_HINT}`."
        ) from None
    match = re.search(r"\d+\.\d+\.\d+\S*", done.stdout)
    if done.returncode != 0 or match is None:
        raise ConfigError(f"{claude} --version did not print a version; is it Claude Code? "
                          f"Install it with `{INSTALL_HINT}`.")  # fmt: skip
    return match.group(0)


@dataclass(frozen=True)
class SessionTarget:
    label: str  # anthropic | bedrock | gateway
    env: dict[str, str]  # the variables that select the provider


@dataclass
class SessionLoop:
    """The sessions of one run; ``run`` reports each finished one to ``on_session``."""

    targets: list[SessionTarget]
    task: Task
    claude: Path
    n: int
    seed: int
    max_session_s: float
    scratch_root: Path
    source_env: dict[str, str]
    python_dir: str
    hook: Path | None  # our hook script (None: sessions run without it)
    instrument: bool = True  # False: no hook and no OpenTelemetry (to measure their cost)
    records_since: RecordsSince | None = None  # the emulator's, when emulated
    receiver: OtlpReceiver | None = None
    finished: int = 0
    tag: str = "run"
    _seq: int = field(default=0, repr=False)

    @property
    def workspace(self) -> Path:
        return self.scratch_root / "workspace"

    @property
    def planned(self) -> int:
        return self.n * len(self.targets)

    def order(self) -> list[list[SessionTarget]]:
        """One list per round, each a fresh random order of the targets (seeded)."""
        rng = random.Random(self.seed)
        return [rng.sample(self.targets, len(self.targets)) for _ in range(self.n)]

    async def run(self, on_session: OnSession) -> None:
        for round_, targets in enumerate(self.order()):
            for target in targets:
                record = await self.one(target, round_)
                self.finished += 1
                on_session(target.label, record, self.finished, self.planned)

    async def one(self, target: SessionTarget, round_: int) -> SessionRecord:
        """One session of ``target``, start to record."""
        seq = self._seq
        self._seq += 1
        scratch = Scratch(self.scratch_root / f"session-{seq:04d}")
        instrumented = self.instrument and self.receiver is not None
        try:
            script = self.hook if self.instrument else None
            prepare_scratch(scratch, script, self.source_env, link_aws=self.records_since is None)
            fresh_workspace(self.task, self.workspace)
            tag = f"{self.tag}-{seq}"
            otel = otel_env(self.receiver.endpoint, tag) if instrumented else None  # type: ignore[union-attr]
            env = session_env(scratch, target.env, otel, self.source_env, self.python_dir)
            exports_before = self.receiver.count() if self.receiver else 0
            records_before = self.records_since(1 << 62)[0] if self.records_since else 0
            out = await run_claude(self.claude, self.task, self.workspace, env, self.max_session_s)
            records = self.records_since(records_before)[1] if self.records_since else None
            telemetry = await self.telemetry(tag, exports_before, out) if instrumented else None
            mine, metrics = _tagged(telemetry, tag)
            session_id = (out.result or {}).get("session_id")
            hook = read_hook_log(
                scratch.hook_log, session_id if isinstance(session_id, str) else None
            )
            check = await run_check(self.task, self.workspace)
        finally:
            shutil.rmtree(scratch.root, ignore_errors=True)
        record = build_record(seq, round_, out, mine, metrics, hook, records)
        record.success, record.check_exit_code = check == 0, check
        if telemetry is not None and telemetry.undecodable:
            record.notes.append(f"{telemetry.undecodable} OTLP export(s) could not be decoded")
        return record

    async def telemetry(self, tag: str, since: int, out) -> Decoded:
        """The exports since ``since``, decoded. Claude Code's last export arrives before it
        exits; should a finished session have sent no API call yet, wait a moment for it."""
        receiver = self.receiver
        assert receiver is not None
        decoded = decode(receiver.exports(since))
        turns = (out.result or {}).get("num_turns") or 0
        mine = [e for e in decoded.events if e.resource.get(RESOURCE_TAG) == tag]
        if turns and not any(e.name == "api_request" for e in mine):
            count = receiver.count()
            if await asyncio.to_thread(receiver.wait_for_more, count, FLUSH_GRACE_S):
                decoded = decode(receiver.exports(since))
        return decoded


def _tagged(decoded: Decoded | None, tag: str) -> tuple[list, list]:
    """The events and metric points of the session tagged ``tag``."""
    if decoded is None:
        return [], []
    events = [e for e in decoded.events if e.resource.get(RESOURCE_TAG) == tag]
    return events, [m for m in decoded.metrics if m.resource.get(RESOURCE_TAG) == tag]
