"""What a face needs to drive a measuring tool: its progress tracker, its handle, the store.

The CLI and the MCP server compose tools and nothing below them; this module is the door to
the probe's progress tracking and run handles and to the store, so both faces use the same.
"""

from __future__ import annotations

from typing import Any

from sre_latency.probe.handle import RunHandle
from sre_latency.probe.progress import ProgressTracker
from sre_latency.store import RunStore, open_store

__all__ = ["ProgressTracker", "RunHandle", "RunStore", "locator_of", "open_store", "tracker_for"]


def locator_of(location: str) -> Any:
    """The store locator of a run's location string (``s3://…`` or a local path)."""
    if location.startswith("s3://"):
        from sre_latency.store.s3 import S3Locator

        bucket, _, key = location.removeprefix("s3://").partition("/")
        return S3Locator(bucket, key)
    from pathlib import Path

    return Path(location)


def tracker_for(module: Any, opts: Any) -> ProgressTracker:
    """The progress tracker of one measuring tool's run (``"bedrock 12/40 …"`` messages)."""
    return ProgressTracker(per_target_planned=module.planned_per_target(opts))
