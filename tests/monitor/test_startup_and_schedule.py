"""The monitor's libraries stay off everyone else's start-up, and its probes are spread over
the interval (one request per target per interval, never a burst)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from sre_latency.store import LocalStore
from sre_latency.tools.monitor import MonitorOptions

HEAVY = {"prometheus_client", "opentelemetry", "botocore"}


def _imported(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join({{m.split('.')[0] for m in sys.modules}}))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    return set(done.stdout.split()) & HEAVY


@pytest.mark.parametrize("code", [
    "import sre_latency",
    "from sre_latency.cli import build_parser; build_parser()",
    "from sre_latency.cli import build_parser; build_parser(only='benchmark')",
])  # fmt: skip
def test_the_cli_imports_no_exporter_and_no_botocore_at_start(code):
    assert _imported(code) == set()


def test_the_mcp_server_imports_nothing_heavy_beyond_what_the_mcp_sdk_does():
    floor = _imported("import mcp.server.mcpserver")
    built = _imported("from sre_latency.server import build_server; build_server()")
    assert built <= floor


async def test_a_rounds_probes_are_spread_over_the_interval_in_a_fresh_order(_isolated_home):
    from sre_latency.tools.monitor_loop import Monitor

    opts = MonitorOptions(emulate=True, every="0.6s", jitter_pct=0, emulator_ttft_ms=1,
                          emulator_output_tokens=2)  # fmt: skip
    monitor = Monitor(opts, LocalStore(_isolated_home), log=lambda m: None)
    await monitor.start()
    try:
        from test_monitor_cli import _rounds_until

        await _rounds_until(monitor, 5)
    finally:
        await monitor.close()
    (run,) = [
        LocalStore(_isolated_home).load_path(p) for p in LocalStore(_isolated_home).list_paths()
    ]
    by_round: dict[int, list] = {}
    for label, p in run.providers.items():
        for s in p.samples:
            by_round.setdefault(s.round, []).append((s.started_at.timestamp(), label))
    full = [sorted(v) for r, v in by_round.items() if len(v) == 3]
    assert len(full) >= 3
    for starts in full:  # one slot each: 0.6 s / 3 targets, jitter off
        gaps = [b[0] - a[0] for a, b in itertools.pairwise(starts)]
        assert min(gaps) >= 0.18
    assert len({tuple(label for _, label in starts) for starts in full}) > 1  # reshuffled
