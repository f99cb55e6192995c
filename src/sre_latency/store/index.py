"""Which run is the latest: runs ordered by when they were measured, wherever they were saved.

A run file may be named anything (``--output nightly.json``) and live anywhere, so neither its
name nor its folder says when it was measured. Each run the store writes is recorded in an
append-only index (``<runs>/.index.jsonl``: one line per run, one ``O_APPEND`` write each, so
concurrent runs never interleave), which finds runs saved elsewhere; the order comes from each
file's own ``created_at`` (read from the first bytes of the run file or of its journal), so a
file renamed, copied in by hand or overwritten is still placed by what it holds.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sre_latency.store.files import PRIVATE_FILE_MODE, ensure_private_dir, write_all
from sre_latency.store.journal import JOURNAL_SUFFIX, journal_path

INDEX_NAME = ".index.jsonl"
_HEAD_BYTES = 8192
_FIELD_RE = {
    name: re.compile(rf'"{name}"\s*:\s*"([^"]{{1,200}})"'.encode())
    for name in ("run_id", "kind", "created_at")
}


@dataclass(frozen=True)
class RunEntry:
    """One run the store can list: where it is and what its file says about it."""

    path: Path  # the run file, or its journal while the run file does not exist
    run_id: str
    kind: str
    created_at: datetime


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def read_entry(path: Path) -> RunEntry | None:
    """What ``path`` says about its run (None when it is not a run file or a journal)."""
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD_BYTES)
    except OSError:
        return None
    found = {
        k: m.group(1).decode("utf-8", "replace")
        for k, r in _FIELD_RE.items()
        if (m := r.search(head))
    }
    if len(found) < 3 and path.suffix != JOURNAL_SUFFIX:
        found = _full_read(path) or found  # a run file whose keys came in another order
    created = _parse_time(found.get("created_at", ""))
    if "run_id" not in found or "kind" not in found or created is None:
        return None
    return RunEntry(path, found["run_id"], found["kind"], created)


def _full_read(path: Path) -> dict[str, str] | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    return {k: data[k] for k in ("run_id", "kind", "created_at") if isinstance(data.get(k), str)}


def record(runs_dir: Path, path: Path, run_id: str, kind: str, created_at: datetime) -> None:
    """Add a run to the index of ``runs_dir`` (best effort: the run file is what matters)."""
    line = json.dumps(
        {"path": str(Path(path).resolve()), "run_id": run_id, "kind": kind,
         "created_at": created_at.isoformat()},
        separators=(",", ":"),
    ) + "\n"  # fmt: skip
    with contextlib.suppress(OSError):
        ensure_private_dir(runs_dir)
        fd = os.open(
            runs_dir / INDEX_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE
        )
        try:
            write_all(fd, line.encode())
        finally:
            os.close(fd)


def indexed_paths(runs_dir: Path) -> list[Path]:
    """The run files the index of ``runs_dir`` names (each once, in the order first recorded)."""
    try:
        data = (runs_dir / INDEX_NAME).read_bytes()
    except OSError:
        return []
    out: dict[str, Path] = {}
    for raw in data.split(b"\n"):
        try:
            rec = json.loads(raw) if raw.strip() else None
        except ValueError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("path"), str):
            out.setdefault(rec["path"], Path(rec["path"]))
    return list(out.values())


def candidate_files(runs_dir: Path) -> list[Path]:
    """Run files and journals in ``runs_dir``, and every run the index names elsewhere: for a
    run whose file is not written yet (or never was), its journal."""
    seen: dict[Path, None] = {}
    if runs_dir.is_dir():
        for p in runs_dir.iterdir():
            if not p.name.startswith(".") and p.suffix in (".json", JOURNAL_SUFFIX):
                seen[p] = None
    for p in indexed_paths(runs_dir):
        if p.is_file():
            seen[p] = None
        elif journal_path(p).is_file():
            seen[journal_path(p)] = None
    files = list(seen)
    written = {p.with_suffix("") for p in files if p.suffix == ".json"}
    return [p for p in files if p.suffix == ".json" or p.with_suffix("") not in written]


def newest_first(runs_dir: Path, kinds: tuple[str, ...] | None = None) -> list[RunEntry]:
    """Runs of ``kinds`` (None: every kind), newest ``created_at`` first."""
    entries = [e for p in candidate_files(runs_dir) if (e := read_entry(p)) is not None]
    if kinds is not None:
        entries = [e for e in entries if e.kind in kinds]

    def when(e: RunEntry) -> tuple[float, int]:
        try:
            mtime = e.path.stat().st_mtime_ns
        except OSError:
            mtime = 0
        return e.created_at.timestamp(), mtime

    return sorted(entries, key=when, reverse=True)
