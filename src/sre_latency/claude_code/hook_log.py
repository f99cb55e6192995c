"""Read the tool-latency log that ``claude_config/sre-latency-hook`` appends to.

One JSON object per line, written by the hook with a single ``O_APPEND`` write::

    {"v":1,"ts_ns":…,"session_id":"…","event":"PostToolUse","tool_name":"Bash",
     "tool_use_id":"toolu_…","duration_ms":29,"mcp_server":"lat","agent_id":"…","failed":true}

The log holds every session; rotated files (``tool-latency.jsonl.<ts_ns>``) sit beside it. A
million lines must be read in well under three seconds, so a session's lines are decoded into
columns (:class:`SessionEvents`), not one dict per line: lines in the hook's own format all at
once with numpy (:mod:`sre_latency.claude_code.hook_log_fast`), any other line with ``json.loads``.
Malformed or truncated lines are skipped and counted. A line is an event when it is a JSON
object with an integer ``ts_ns`` (within int64) and a string ``event``; a field of another type
than the hook writes (e.g. a numeric ``tool_name``) counts as absent.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sre_latency.claude_code.hook_log_fast import PADDING
from sre_latency.errors import ConfigError

LOG_NAME = "tool-latency.jsonl"
_SESSION_RE = re.compile(rb'"session_id":"([^"\\]{1,200})"')
_SESSION_KEY = b'"session_id":"'


def hook_dir() -> Path:
    """``$SRE_LATENCY_HOME/claude``: where the hook writes (same rule as ``store.default_home``)."""
    from sre_latency.store import default_home

    return default_home() / "claude"


def default_log_path() -> Path:
    return hook_dir() / LOG_NAME


def log_files(log_path: Path) -> list[Path]:
    """Rotated files, oldest first, then the live log (those that exist)."""
    rotated = [
        p for p in log_path.parent.glob(log_path.name + ".*") if p.name.rpartition(".")[2].isdigit()
    ]
    rotated.sort(key=lambda p: int(p.name.rpartition(".")[2]))
    return [*rotated, *([log_path] if log_path.exists() else [])]


EVENT_KINDS = (
    "other", "SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse",
    "PostToolUseFailure", "PostToolBatch", "PermissionRequest", "SubagentStart", "SubagentStop",
    "Stop", "SessionEnd",
)  # fmt: skip
_KIND = {name: i for i, name in enumerate(EVENT_KINDS)}
_STRING_FIELDS = ("tool_name", "tool_use_id", "agent_id", "mcp_server")


@dataclass
class SessionEvents:
    """One session's events as columns, sorted by ``ts_ns`` (append order for equal stamps).

    ``kind`` indexes :data:`EVENT_KINDS` (0: an event the accounting ignores). String fields are
    codes into ``tables[field]`` (-1: absent; an empty ``agent_id`` is absent too)."""

    ts_ns: np.ndarray
    kind: np.ndarray
    duration_ms: np.ndarray  # NaN when absent or not a number
    codes: dict[str, np.ndarray]
    tables: dict[str, Sequence[str]]

    def __len__(self) -> int:
        return len(self.ts_ns)

    def text(self, name: str, code: int) -> str | None:
        return None if code < 0 else self.tables[name][code]

    @classmethod
    def from_dicts(cls, events: list[dict[str, Any]]) -> SessionEvents:
        """From event dicts (e.g. a transcript's); those that are no events are left out."""
        records = [r for r in map(_record, events) if r is not None]
        return _assemble(None, np.zeros(0, np.int64), list(range(len(records))), records)


@dataclass
class LogSelection:
    """The events of the chosen sessions (most recent session first) and what was skipped."""

    sessions: dict[str, SessionEvents] = field(default_factory=dict)
    lines_read: int = 0
    malformed_lines: int = 0
    notes: list[str] = field(default_factory=list)


def read_log(
    log_path: Path | None = None,
    session: str | None = None,
    last: int | None = None,
    current_session: str | None = None,
) -> LogSelection:
    """Select sessions from the hook log: ``session``, else ``current_session`` when it is in the
    log, else the ``last`` (default 1) most recent sessions."""
    path = Path(log_path) if log_path is not None else default_log_path()
    files = log_files(path)
    if not files:
        raise ConfigError(
            f"No Claude Code hook log at {path}: install the sre-latency hook "
            "(see docs/claude-code.md) or pass --from-transcript FILE."
        )
    try:
        data, size = _read_padded(files)
    except OSError as exc:
        raise ConfigError(f"Cannot read the hook log {path}: {exc.strerror}.") from None
    lines = _Lines(data, size)
    selection = LogSelection(lines_read=len(lines))

    if session:
        wanted = [session if _needle(session) in data else _expand_prefix(data, session, path)]
    elif current_session and _needle(current_session) in data:
        wanted = [current_session]
    else:
        if current_session:
            selection.notes.append(
                f"Session {current_session} (from CLAUDE_CODE_SESSION_ID) is not in the log; "
                "showing the latest session instead."
            )
        wanted = _latest_sessions(lines, max(1, last or 1))
        if not wanted:
            raise ConfigError(f"The hook log {path} holds no session events yet.")
    session_keys = None  # how many lines name a session: known when one session was all
    bad_lines: set[int] = set()  # a line naming two of the sessions is still one bad line
    for sid in wanted:
        events, chosen, bad, session_keys = _decode_session(data, lines, sid)
        if not chosen and session:
            raise ConfigError(f"Session {sid} has no events in the hook log {path}.")
        bad_lines |= bad
        selection.sessions[sid] = events
    selection.malformed_lines += len(bad_lines)
    if session_keys is None or len(wanted) > 1:
        session_keys = data.count(_SESSION_KEY)
    # lines that cannot belong to any session (blank lines are not counted)
    selection.malformed_lines += max(0, len(lines) - session_keys - lines.blank())
    return selection


def _read_padded(files: list[Path]) -> tuple[bytearray, int]:
    """The files' bytes in one buffer (no copy), a final newline, then the zero bytes the fast
    parser reads past the end; and the size without those. Lines appended meanwhile wait."""
    handles = [p.open("rb") for p in files]
    try:
        sizes = [os.fstat(f.fileno()).st_size for f in handles]
        data = bytearray(sum(sizes) + 1 + len(PADDING))
        view, size = memoryview(data), 0
        for f, expected in zip(handles, sizes, strict=True):
            while expected and (got := f.readinto(view[size : size + expected])):
                size, expected = size + got, expected - got
        view.release()
    finally:
        for f in handles:
            f.close()
    if size and data[size - 1] != 10:
        data[size] = 10
        size += 1
    return data, size


class _Lines:
    """The lines of ``data[:size]`` (which ends with a newline), found with numpy, not split."""

    def __init__(self, data: bytearray, size: int) -> None:
        self.data, self.size = data, size
        self.ends = np.flatnonzero(np.frombuffer(data, np.uint8, count=size) == 10)

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> bytes:
        return self.data[int(self.ends[i - 1]) + 1 if i else 0 : int(self.ends[i])]

    def blank(self) -> int:
        """Empty lines and lines holding only ``\\r``."""
        if not len(self.ends):
            return 0
        length = np.diff(self.ends, prepend=-1) - 1
        carriage = np.frombuffer(self.data, np.uint8, count=self.size)[self.ends - 1] == 13
        return int(((length == 0) | ((length == 1) & carriage)).sum())

    def numbers_with(self, needle: bytes) -> list[int]:
        """Indices of the lines that contain ``needle``."""
        found, at = [], self.data.find(needle, 0, self.size)
        while at >= 0:
            found.append(at)
            at = self.data.find(needle, at + 1, self.size)
        return np.unique(np.searchsorted(self.ends, found)).tolist()


def _expand_prefix(data: bytes, prefix: str, path: Path) -> str:
    """A unique session id starting with ``prefix`` (as printed in summaries), else an error."""
    pattern = re.compile(_SESSION_KEY + re.escape(prefix.encode()) + rb'[^"\\]*"')
    found = {m.group(0)[len(_SESSION_KEY) : -1].decode() for m in pattern.finditer(data)}
    if len(found) > 1:
        raise ConfigError(
            f"Session prefix {prefix} matches {len(found)} sessions; give more of it."
        )
    if not found:
        raise ConfigError(f"Session {prefix} has no events in the hook log {path}.")
    return found.pop()


def _needle(session_id: str) -> bytes:
    return _SESSION_KEY + session_id.encode("utf-8", "replace") + b'"'


def _latest_sessions(lines: _Lines, count: int) -> list[str]:
    found: list[str] = []
    for i in range(len(lines) - 1, -1, -1):
        match = _SESSION_RE.search(lines[i])
        if match:
            sid = match.group(1).decode("utf-8", "replace")
            if sid not in found:
                found.append(sid)
                if len(found) == count:
                    break
    return found


def _decode_session(
    data: bytes, lines: _Lines, sid: str
) -> tuple[SessionEvents, int, set[int], int | None]:
    """The events of the lines naming ``sid``; also how many lines did, which of them are
    malformed (line numbers), and (when the whole log was parsed) how many lines name any
    session."""
    from sre_latency.claude_code.hook_log_fast import parse_canonical

    needle = _needle(sid)
    whole = _mostly(data, lines, needle)
    numbers = None if whole else lines.numbers_with(needle)
    source = lines if numbers is None else [lines[i] for i in numbers]
    if not len(source):
        return SessionEvents.from_dicts([]), 0, set(), None
    if whole:
        fast = parse_canonical(data, lines.size, sid, lines.ends)
    else:
        chunk = b"\n".join(source)
        fast = parse_canonical(b"".join([chunk, b"\n", PADDING]), len(chunk) + 1, sid)
    others = np.ones(fast.n_lines, bool)
    others[fast.line] = False
    where, records, chosen, bad = [], [], len(fast.line), set()
    session_keys = len(fast.line)  # a line in the hook's format names its session once
    for i in np.flatnonzero(others).tolist():
        line = source[i]
        session_keys += line.count(_SESSION_KEY)
        if whole and needle not in line:
            continue
        chosen += 1
        record = _record(_loads(line))
        if record is None:
            bad.add(i if numbers is None else numbers[i])
        else:
            where.append(i)
            records.append(record)
    return _assemble(fast, fast.line, where, records), chosen, bad, session_keys if whole else None


def _mostly(data: bytes, lines: _Lines, needle: bytes) -> bool:
    """Whether most lines name this session (judged from the last 4 MB: only a matter of speed,
    both ways give the same events)."""
    if not len(lines):
        return False
    start = max(0, lines.size - 4_000_000)
    return data.count(needle, start, lines.size) * 2 >= data.count(b"\n", start, lines.size)


def _loads(line: bytes) -> Any:
    try:
        return json.loads(line)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurd nesting
        return None


_INT64 = (-(2**63), 2**63)


def _record(event: Any) -> tuple | None:
    """(ts_ns, kind, duration_ms, tool_name, tool_use_id, agent_id, mcp_server), or None when
    ``event`` is no hook event."""
    if type(event) is not dict:
        return None
    ts, name = event.get("ts_ns"), event.get("event")
    if type(ts) is not int or type(name) is not str or not _INT64[0] <= ts < _INT64[1]:
        return None
    duration = event.get("duration_ms")
    try:
        duration = float(duration) if type(duration) in (int, float) else float("nan")
    except OverflowError:
        duration = float("nan")
    texts = [v if type(v := event.get(key)) is str else None for key in _STRING_FIELDS]
    texts[2] = texts[2] or None  # an empty agent_id is the main thread
    return (ts, _KIND.get(name, 0), duration, *texts)


def _assemble(
    fast, fast_lines: np.ndarray, where: list[int], records: list[tuple]
) -> SessionEvents:
    """Fast-path columns and careful-path records, merged and sorted by (ts_ns, line)."""
    if records:
        ts, kind, duration, *texts = zip(*records, strict=True)
    else:
        ts, kind, duration, texts = (), (), (), [()] * len(_STRING_FIELDS)
    codes, tables = {}, {}
    for name, values in zip(_STRING_FIELDS, texts, strict=True):
        fast_codes = fast.codes[name] if fast is not None else np.zeros(0, np.int32)
        table: Sequence[str] = fast.tables[name] if fast is not None else []
        extra = [v for v in values if v is not None]
        if extra:  # careful lines hold this field: one table for both
            table = table.tolist() if fast is not None else []
            index = {text: code for code, text in enumerate(table)}
            extra_codes = [-1 if v is None else index.setdefault(v, len(index)) for v in values]
            table = list(index)
        else:
            extra_codes = [-1] * len(values)
        codes[name] = np.concatenate([fast_codes, np.array(extra_codes, np.int32)])
        tables[name] = table
    if fast is not None:
        names = fast.tables["event"].tolist()
        kinds = np.array([_KIND.get(n, 0) for n in names] + [0], np.int8)[fast.codes["event"]]
        fast_ts, fast_duration = fast.ts_ns, fast.duration_ms
    else:
        kinds, fast_ts, fast_duration = (np.zeros(0, t) for t in (np.int8, np.int64, float))
    all_ts = np.concatenate([fast_ts, np.array(ts, np.int64)])
    all_lines = np.concatenate([fast_lines, np.array(where, np.int64)])
    all_kinds = np.concatenate([kinds, np.array(kind, np.int8)])
    all_durations = np.concatenate([fast_duration, np.array(duration, float)])
    if records or (all_ts[1:] < all_ts[:-1]).any():  # else already in order: the usual case
        order = np.lexsort((all_lines, all_ts))
        all_ts, all_kinds, all_durations = all_ts[order], all_kinds[order], all_durations[order]
        codes = {name: c[order] for name, c in codes.items()}
    return SessionEvents(all_ts, all_kinds, all_durations, codes, tables)
