"""What the statusline costs per refresh (run on demand, not in CI).

    /tmp/venv/bin/python benchmarks/statusline.py [--calls 100]

Builds a hook log of 100,000 lines (100 sessions) in the hook's exact format, with the
per-session files the hook keeps, and times ``claude_config/statusline`` as Claude Code runs it
(a new process, the session JSON on stdin): median over ``--calls`` refreshes for a session of
1,000 events, and for one session that alone has 100,000 events (the worst case).
Target (issue 6): < 30 ms median with a 100,000-line log.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tool_timings import session_lines  # the same realistic event mix

REPO = Path(__file__).resolve().parents[1]
STATUSLINE = REPO / "claude_config" / "statusline"


def median_ms(session_id: str, env: dict, calls: int) -> tuple[float, str]:
    stdin = json.dumps({"session_id": session_id, "model": {"display_name": "Opus 4.6"}}).encode()
    times, out = [], b""
    for _ in range(calls):
        start = time.perf_counter_ns()
        out = subprocess.run([str(STATUSLINE)], input=stdin, env=env, capture_output=True).stdout
        times.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(times), out.decode().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        claude = Path(home) / "claude"
        (claude / "sessions").mkdir(parents=True)
        with (claude / "tool-latency.jsonl").open("w") as log:
            for s in range(100):
                lines = session_lines(f"sess-{s:03d}", 1000, 10**18 + s * 10**12)
                text = "\n".join(lines) + "\n"
                log.write(text)
                (claude / "sessions" / f"sess-{s:03d}.jsonl").write_text(text)
        big = "\n".join(session_lines("sess-big", 100_000, 10**18)) + "\n"
        (claude / "sessions" / "sess-big.jsonl").write_text(big)
        env = {**os.environ, "SRE_LATENCY_HOME": home}
        typical, line = median_ms("sess-099", env, args.calls)
        worst, _ = median_ms("sess-big", env, max(10, args.calls // 10))
        missing, short = median_ms("sess-none", env, args.calls)
    print(
        f"statusline, 100,000-line log, session of 1,000 events: median {typical:.1f} ms "
        "(target < 30 ms)"
    )
    print(f"  {line}")
    print(f"statusline, one session of 100,000 events:            median {worst:.1f} ms")
    print(f"statusline, no data for the session:                  median {missing:.1f} ms")
    print(f"  {short}")


if __name__ == "__main__":
    main()
