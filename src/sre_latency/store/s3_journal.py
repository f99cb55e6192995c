"""The journal of a run in progress on S3: parts written in the background, the run file at the end.

S3 has no append, so the journal is a series of objects ``<run>.jsonl/00000000`` (the header),
``…/00000001``, … each holding the sample lines finished since the previous part. ``append`` is
called on the event loop that measures: it only queues the line and wakes a flusher thread, so
no request waits on S3. The flusher writes at most one part per ``flush_interval_s`` (about a
second), so a run killed by SIGKILL loses at most the samples of its last second; a failed PUT
keeps the lines queued and is retried at the next flush. ``finish`` writes the run file (one
PUT), then removes the parts.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

from sre_latency.core.contract import Run, Sample
from sre_latency.errors import LatencyError, StoreError
from sre_latency.store.journal import JOURNAL_SUFFIX, journal_header, sample_line, session_line

if TYPE_CHECKING:
    from sre_latency.store.s3 import S3Locator, S3Store

FLUSH_INTERVAL_S = 1.0
PART_DIGITS = 8


class S3RunWriter:
    """One run being recorded on S3 (the ``RunWriter`` protocol)."""

    def __init__(self, store: S3Store, run: Run, loc: S3Locator,
                 flush_interval_s: float = FLUSH_INTERVAL_S):  # fmt: skip
        self.store = store
        self.loc = loc
        self.journal = loc.with_suffix(JOURNAL_SUFFIX)
        self.kept = 0
        self.error: str | None = None
        self._interval = flush_interval_s
        self._queue: list[bytes] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._part = 0
        header = (json.dumps(journal_header(run), separators=(",", ":")) + "\n").encode()
        self._put_part(header)  # fails here, before anything is measured, if S3 is unusable
        self._thread = threading.Thread(target=self._flusher, name=f"s3 journal {loc.stem}",
                                        daemon=True)  # fmt: skip
        self._thread.start()

    @property
    def location(self) -> str:
        return str(self.loc)

    @property
    def journal_location(self) -> str:
        return str(self.journal)

    def _put_part(self, body: bytes) -> None:
        key = f"{self.journal.key}/{self._part:0{PART_DIGITS}d}"
        self.store.call("put_object", self.journal, Key=key, Body=body,
                        ContentType="application/x-ndjson")  # fmt: skip
        self._part += 1

    def append(self, label: str, sample: Sample) -> None:
        """Queue one finished sample; never blocks on S3 and never raises."""
        line = sample_line(label, sample)
        with self._lock:
            self._queue.append(line)
        self._wake.set()

    def append_session(self, label: str, session) -> None:
        """Queue one finished session's record (session runs), like ``append``."""
        line = session_line(label, session)
        with self._lock:
            self._queue.append(line)
        self._wake.set()

    def _flush(self) -> None:
        with self._lock:
            lines, self._queue = self._queue, []
        if not lines:
            return
        try:
            self._put_part(b"".join(lines))
        except (LatencyError, OSError) as exc:
            self.error = str(exc)
            with self._lock:  # keep them for the next flush (or the run file)
                self._queue = lines + self._queue
            return
        self.kept += sum(1 for line in lines if line.startswith(b'{"type":"sample"'))
        self.error = None

    def _flusher(self) -> None:
        while True:
            self._wake.wait()
            if self._stopped.is_set():
                return
            self._wake.clear()
            self._flush()
            if self._stopped.wait(self._interval):  # batch what finishes meanwhile
                return

    def _stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._thread.join(timeout=60)

    def finish(self, run: Run) -> None:
        """Write the run file, then remove the journal; on failure, say what is kept."""
        self._stop()
        body = run.model_dump_json(indent=1, by_alias=True).encode()
        try:
            self.store.call("put_object", self.loc, Key=self.loc.key, Body=body,
                            ContentType="application/json")  # fmt: skip
        except LatencyError as exc:
            self._flush()  # the journal keeps what the run file could not
            n = sum(len(p.samples) for p in run.providers.values())
            raise StoreError(f"could not write the run file {self.loc} ({exc}); "
                             f"{self.kept_sentence(n)}") from None  # fmt: skip
        self._remove_parts()

    def _remove_parts(self) -> None:
        try:
            keys = self.store.journal_parts(self.journal)
            for start in range(0, len(keys), 1000):
                chunk = [{"Key": k} for k in keys[start : start + 1000]]
                self.store.call("delete_objects", self.journal,
                                Delete={"Objects": chunk, "Quiet": True})  # fmt: skip
        except LatencyError:
            pass  # the run file is written; a leftover journal is listed under the same run

    def kept_sentence(self, finished: int) -> str:
        if self.error is None and self.kept >= finished:
            return f"every finished sample ({finished}) is kept in {self.journal}."
        why = f" (writing it failed: {self.error})" if self.error else ""
        return f"{self.kept} of {finished} finished samples are kept in {self.journal}{why}."
