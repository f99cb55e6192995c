"""The journal of a run in progress: a header line, then one line per finished sample.

Each line is one ``O_APPEND`` write of a whole line, so a run killed by Ctrl-C or SIGKILL loses
nothing but the line being written. A short write (a full disk) is retried to the end or undone
(the file is cut back to its last whole line), so the journal always holds whole lines and
``kept`` says exactly how many samples it holds. Reading is total: any line that is not a sample
of this run (cut, foreign, malformed) is skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sre_latency.core.contract import ProviderResult, Run, Sample
from sre_latency.core.sessions import SessionRecord
from sre_latency.errors import StoreError
from sre_latency.store.files import (
    PRIVATE_FILE_MODE,
    ensure_private_dir,
    first_validation_error,
    read_file,
    write_all,
)

JOURNAL_SUFFIX = ".jsonl"


def journal_path(run_path: Path) -> Path:
    return run_path.with_suffix(JOURNAL_SUFFIX)


def journal_header(run: Run) -> dict[str, Any]:
    header = run.model_dump(mode="json", exclude={"providers"}, by_alias=True)
    header["providers"] = {
        label: p.model_dump(mode="json", exclude={"samples", "summary", "sessions"})
        for label, p in run.providers.items()
    }
    return {"type": "header", "run": header}


def sample_line(label: str, sample: Sample) -> bytes:
    record = {
        "type": "sample",
        "label": label,
        "sample": sample.model_dump(mode="json", by_alias=True),
    }
    return (json.dumps(record, separators=(",", ":")) + "\n").encode()


def session_line(label: str, session: SessionRecord) -> bytes:
    """A session run's per-session record (kept beside its sample, so a crash loses neither)."""
    record = {"type": "session", "label": label, "session": session.model_dump(mode="json")}
    return (json.dumps(record, separators=(",", ":")) + "\n").encode()


class Journal:
    """Append-only local journal. ``append`` never raises: a failed write is remembered in
    ``error`` and every later sample is still kept in memory by the caller."""

    def __init__(self, path: Path, run: Run):
        ensure_private_dir(path.parent)
        self.path = path
        self.kept = 0
        self.error: OSError | None = None
        self._fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, PRIVATE_FILE_MODE
        )
        os.fchmod(self._fd, PRIVATE_FILE_MODE)
        self._size = 0
        line = (json.dumps(journal_header(run), separators=(",", ":")) + "\n").encode()
        if not self._write(line):
            raise self.error or OSError("cannot write the journal")

    def _write(self, line: bytes) -> bool:
        if self._fd < 0 or self.error is not None:
            return False
        try:
            write_all(self._fd, line)
        except OSError as exc:
            self.error = exc
            with contextlib.suppress(OSError):  # undo a partial line: whole lines only
                os.ftruncate(self._fd, self._size)
            return False
        self._size += len(line)
        return True

    def append(self, label: str, sample: Sample) -> None:
        if self._write(sample_line(label, sample)):
            self.kept += 1

    def append_session(self, label: str, session: SessionRecord) -> None:
        self._write(session_line(label, session))

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _records(data: bytes):
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except (ValueError, RecursionError):
            continue  # a line cut by SIGKILL mid-write, or bytes that are no JSON
        if isinstance(rec, dict):
            yield rec


def run_from_journal(data: bytes, where: object) -> Run:
    """Rebuild a run from journal bytes: every finished sample, ``complete: false``."""
    from sre_latency.core.stats import summarize

    header: dict | None = None
    samples: dict[str, list[Sample]] = {}
    sessions: dict[str, list[SessionRecord]] = {}
    for rec in _records(data):
        kind = rec.get("type")
        if kind == "header" and header is None and isinstance(rec.get("run"), dict):
            header = rec["run"]
        elif kind == "sample" and isinstance(rec.get("label"), str):
            try:
                samples.setdefault(rec["label"], []).append(
                    Sample.model_validate(rec.get("sample"))
                )
            except (ValidationError, ValueError, TypeError, RecursionError):
                continue
        elif kind == "session" and isinstance(rec.get("label"), str):
            try:
                sessions.setdefault(rec["label"], []).append(
                    SessionRecord.model_validate(rec.get("session"))
                )
            except (ValidationError, ValueError, TypeError, RecursionError):
                continue
    if header is None:
        raise StoreError(f"{where} is not an sre-latency journal: it has no header line.")
    providers = header.get("providers")
    if not isinstance(providers, dict) or not all(isinstance(m, dict) for m in providers.values()):
        raise StoreError(f"{where} has a malformed header: providers is not an object of targets.")
    try:
        run = Run.model_validate({**header, "complete": False, "providers": {}})
        for label, meta in providers.items():
            got = samples.get(label, [])
            run.providers[label] = ProviderResult.model_validate(
                {
                    **meta,
                    "samples": got,
                    "summary": summarize(got),
                    "sessions": sessions.get(label, []),
                }
            )
    except ValidationError as exc:
        raise StoreError(
            f"{where} has a malformed header: {first_validation_error(exc)}."
        ) from None
    except (ValueError, TypeError, RecursionError):
        raise StoreError(f"{where} has a malformed header.") from None
    run.validity_notes.append("run did not finish; loaded from its journal")
    return run


def load_journal(path: Path) -> Run:
    return run_from_journal(read_file(path), path)
