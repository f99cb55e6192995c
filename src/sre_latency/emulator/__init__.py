"""A local emulator of the Anthropic, OpenAI-compatible and Bedrock streaming APIs.

Users rehearse alerts and failure handling against it; tests and benchmarks use its recorded
send times as the truth the prober's measurements are checked against. See ``docs/emulator.md``.
It imports ``core`` only: it is the reference the prober is measured against, so it shares no
code with the prober. Names load on first use, so reading the profile costs no server import.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Emulator": "app",
    "EmulatorThread": "app",
    "run_emulator_in_thread": "app",
    "new_event_loop": "app",
    "EmulatorProfile": "profile",
    "FaultSpec": "profile",
    "FAULT_BEHAVIOURS": "profile",
    "Recorder": "records",
    "RequestRecord": "records",
    "EmulatorState": "state",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sre_latency.emulator' has no attribute {name!r}")
    return getattr(importlib.import_module(f"sre_latency.emulator.{module}"), name)
