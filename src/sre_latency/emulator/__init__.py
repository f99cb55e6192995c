"""A local emulator of the Anthropic, OpenAI-compatible and Bedrock streaming APIs.

Users rehearse alerts and failure handling against it; tests and benchmarks use its recorded
send times as the truth the prober's measurements are checked against. See ``docs/emulator.md``.
"""

from sre_latency.emulator.app import Emulator, EmulatorThread, run_emulator_in_thread
from sre_latency.emulator.profile import FAULT_BEHAVIOURS, EmulatorProfile, FaultSpec
from sre_latency.emulator.records import Recorder, RequestRecord
from sre_latency.emulator.state import EmulatorState

__all__ = [
    "FAULT_BEHAVIOURS",
    "Emulator",
    "EmulatorProfile",
    "EmulatorState",
    "EmulatorThread",
    "FaultSpec",
    "Recorder",
    "RequestRecord",
    "run_emulator_in_thread",
]
