"""How fast ``tool_timings`` reads a big hook log (run on demand, not in CI).

    /tmp/venv/bin/python benchmarks/tool_timings.py [--lines 1000000]

Writes a log in the hook's exact line format (a real session's events repeated: prompt, Bash,
Read, MCP and Agent calls, failures, permission prompts), then times ``tool_timings`` — the
whole call, reading included — in two shapes, median of 3:

1. 1,000 sessions of 1,000 lines, the latest session wanted (the usual case);
2. one session of 1,000,000 lines (the worst case: every line decoded and accounted).

Target (issue 6): 1,000,000 log lines in < 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sre_latency import ToolTimingsOptions
from sre_latency import tool_timings as run_tool_timings


def tool_timings(log_path):
    return run_tool_timings(ToolTimingsOptions(log=str(log_path)))


TOOLS = (
    ("Bash", None, 40),
    ("Read", None, 3),
    ("mcp__lat__sleepy_echo", "lat", 150),
    ("Grep", None, 12),
    ("Agent", None, 900),
)


def session_lines(sid: str, n_lines: int, t0_ns: int) -> list[str]:
    lines, ts, i = [], t0_ns, 0
    head = f'{{"v":1,"ts_ns":{{}},"session_id":"{sid}","event":'

    def add(event: str, extra: str = "") -> None:
        nonlocal ts
        ts += 7_000_000
        lines.append(head.replace("{}", str(ts), 1) + f'"{event}"{extra}}}')

    add("SessionStart", ',"source":"startup"')
    while len(lines) < n_lines - 1:
        add("UserPromptSubmit")
        for name, server, ms in TOOLS:
            tool = f',"tool_name":"{name}","tool_use_id":"toolu_{i:08d}"'
            mcp = f',"mcp_server":"{server}"' if server else ""
            add("PreToolUse", tool + mcp)
            if i % 17 == 0:
                add("PermissionRequest", f',"tool_name":"{name}"')
            ts += ms * 1_000_000
            if i % 23 == 0:
                add("PostToolUseFailure", tool + mcp + f',"duration_ms":{ms},"failed":true')
            else:
                add("PostToolUse", tool + mcp + f',"duration_ms":{ms}')
            add("PostToolBatch")
            i += 1
        add("Stop")
    add("SessionEnd", ',"reason":"other"')
    return lines[:n_lines]


def timed(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        many = Path(tmp) / "many.jsonl"
        per = 1000
        with many.open("w") as out:
            for s in range(args.lines // per):
                out.write("\n".join(session_lines(f"sess-{s:06d}", per, 10**18 + s * 10**12)))
                out.write("\n")
        one = Path(tmp) / "one.jsonl"
        one.write_text("\n".join(session_lines("the-only-session", args.lines, 10**18)) + "\n")
        mb = many.stat().st_size / 1e6
        latest = timed(lambda: tool_timings(log_path=many))
        whole = timed(lambda: tool_timings(log_path=one))
        result = tool_timings(log_path=one)
    print(f"log of {args.lines:,} lines ({mb:.0f} MB), median of 3 (target < 3 s):")
    print(f"  latest of {args.lines // per:,} sessions: {latest:.2f} s")
    print(f"  one session of {args.lines:,} lines:   {whole:.2f} s  ({result.summary})")


if __name__ == "__main__":
    main()
