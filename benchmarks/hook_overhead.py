"""What the tool-latency hook costs on Claude Code's critical path (run on demand, not in CI).

    /tmp/venv/bin/python benchmarks/hook_overhead.py [--calls 200]

Pipes the largest real payload from the Claude Code 2.1.330 fixtures (and a synthetic 350 KB
PostToolUse with a large tool_response) into ``claude_config/sre-latency-hook`` the way Claude
Code does (a new process, JSON on stdin), and prints the median wall time per call minus the
median of a bare ``sh -c true``. Target (issue 6): ≤ 5 ms above ``sh -c true``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOOK = REPO / "claude_config" / "sre-latency-hook"
FIXTURES = REPO / "tests" / "fixtures" / "claude_code"


def median_ms(cmd: list[str], stdin: bytes, env: dict, calls: int) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        subprocess.run(cmd, input=stdin, env=env, check=False)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(times)


def largest_fixture_payload() -> bytes:
    payloads = []
    for name in ("hook-payload-examples.jsonl", "a1-session-events.jsonl"):
        for line in (FIXTURES / name).read_text().splitlines():
            payload = json.loads(line)["payload"]
            if payload["hook_event_name"] not in ("SessionStart", "Stop", "SessionEnd"):
                payloads.append(json.dumps(payload, separators=(",", ":")).encode())
    return max(payloads, key=len)


def large_tool_response() -> bytes:
    payload = json.loads((FIXTURES / "a1-session-events.jsonl").read_text().splitlines()[3])[
        "payload"
    ]  # PostToolUse
    payload["tool_response"] = {
        "stdout": "\n".join(f'line {i} "quoted" {{}}' for i in range(16000))
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        import os

        env = {**os.environ, "SRE_LATENCY_HOME": home}
        fixture = largest_fixture_payload()
        large = large_tool_response()
        base = median_ms(["sh", "-c", "true"], fixture, env, args.calls)
        hook = median_ms([str(HOOK)], fixture, env, args.calls)
        hook_large = median_ms([str(HOOK)], large, env, max(20, args.calls // 4))
        lines = (Path(home) / "claude" / "tool-latency.jsonl").read_text().count("\n")
    print(f"sh -c true                      median {base:6.2f} ms  (n={args.calls})")
    print(
        f"hook, largest fixture ({len(fixture):>6} B) median {hook:6.2f} ms  "
        f"-> overhead {hook - base:5.2f} ms  (target <= 5 ms)"
    )
    print(
        f"hook, large response ({len(large):>7} B) median {hook_large:6.2f} ms  "
        f"-> overhead {hook_large - base:5.2f} ms"
    )
    print(f"lines written: {lines}")


if __name__ == "__main__":
    main()
