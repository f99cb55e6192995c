"""What the emulator actually did, per request: the truth the prober's figures are checked against.

Every time is ``time.perf_counter_ns()`` taken just before the bytes were handed to the socket.
Memory is bounded: the recorder keeps the most recent ``max_requests`` records.
"""

from __future__ import annotations

import itertools
import threading
from array import array
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, eq=False)
class RequestRecord:
    """One request as the emulator served it. ``events`` hold (label, sent_ns) in send order."""

    seq: int
    method: str
    route: str
    received_ns: int
    protocol: str = ""
    request_id: str = ""
    fault: str | None = None
    status: int = 0
    outcome: str = "ok"  # ok | cut | aborted (client went away or server stopped)
    headers_sent_ns: int = 0
    ended_ns: int = 0
    first_content_ns: int = 0
    last_content_ns: int = 0
    content_events: int = 0
    late_ns_max: int = 0  # the most any planned event went out after its due time (load check)
    tools_offered: int = -1  # tools in the request body (scripted conversations); -1: not known
    queue_ns: int = 0  # how long it waited for a generation slot (the capacity model)
    admitted_ns: int = 0  # when it got its slot (0: refused, or not a generation)
    _labels: list[str] = field(default_factory=list)
    _sent_ns: array = field(default_factory=lambda: array("q"))
    _content: array = field(default_factory=lambda: array("b"))

    def add_event(self, label: str, sent_ns: int, content: bool) -> None:
        self._labels.append(label)
        self._sent_ns.append(sent_ns)
        self._content.append(content)
        if content:
            if not self.content_events:
                self.first_content_ns = sent_ns
            self.last_content_ns = sent_ns
            self.content_events += 1

    @property
    def events(self) -> list[tuple[str, int]]:
        # safe to read from another thread mid-stream: _content is appended last, so its length
        # counts only events whose every field is in place
        n = len(self._content)
        return list(zip(self._labels[:n], self._sent_ns[:n], strict=True))

    @property
    def complete(self) -> bool:
        return self.ended_ns != 0

    @property
    def ttft_ns(self) -> int | None:
        """Server-side TTFT truth: request fully received → first content delta handed to socket."""
        return self.first_content_ns - self.received_ns if self.content_events else None

    @property
    def content_gaps_ns(self) -> list[int]:
        """Gaps between consecutive content deltas (ITL truth)."""
        n = len(self._content)
        times = [ns for ns, flag in zip(self._sent_ns[:n], self._content[:n], strict=True) if flag]
        return [b - a for a, b in itertools.pairwise(times)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "request_id": self.request_id,
            "protocol": self.protocol,
            "method": self.method,
            "route": self.route,
            "status": self.status,
            "fault": self.fault,
            "outcome": self.outcome,
            "complete": self.complete,
            "received_ns": self.received_ns,
            "headers_sent_ns": self.headers_sent_ns or None,
            "first_content_ns": self.first_content_ns or None,
            "last_content_ns": self.last_content_ns or None,
            "ended_ns": self.ended_ns or None,
            "content_events": self.content_events,
            "ttft_ms": None if self.ttft_ns is None else self.ttft_ns / 1e6,
            "late_ms_max": self.late_ns_max / 1e6,
            "queue_ms": self.queue_ns / 1e6,
            "total_ms": (self.ended_ns - self.received_ns) / 1e6 if self.ended_ns else None,
            "events": [[label, ns] for label, ns in self.events],
            "tools_offered": self.tools_offered if self.tools_offered >= 0 else None,
        }


class Recorder:
    """A bounded, thread-safe log of request records, numbered from 1 in arrival order."""

    def __init__(self, max_requests: int = 100_000):
        self._records: deque[RequestRecord] = deque(maxlen=max_requests)
        self._next_seq = 1
        self._lock = threading.Lock()

    def new(self, method: str, route: str, received_ns: int) -> RequestRecord:
        with self._lock:
            record = RequestRecord(self._next_seq, method, route, received_ns)
            self._next_seq += 1
            self._records.append(record)
        return record

    def snapshot(self, since: int = 0) -> list[RequestRecord]:
        """Records with ``seq > since`` (still-running ones included; check ``complete``)."""
        with self._lock:
            if not since:
                return list(self._records)
            newer: list[RequestRecord] = []
            for record in reversed(self._records):  # newest first: stop at the first old one
                if record.seq <= since:
                    break
                newer.append(record)
        newer.reverse()
        return newer

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    @property
    def last_seq(self) -> int:
        return self._next_seq - 1

    def __len__(self) -> int:
        return len(self._records)
