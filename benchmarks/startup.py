"""How long Claude Code waits for ``sre-latency serve``: spawn → ``initialize`` answered, over stdio.

Compared with the floor, a bare ``python -c "import mcp.server.mcpserver"`` (spawn → the import
done, reported on stdout; interpreter shut-down is not counted for either).
Target (issue 5): the server's ``initialize`` within 1.15× of that. Also printed: the CPU time
used until the answer (Linux; steadier than wall time on a busy machine), spawn → the
``tools/list`` answer (the output schemas load then), and a one-tool MCPServer for scale (what
the SDK itself costs). Median of 11 runs each, interleaved so machine noise hits all alike.

    python benchmarks/startup.py [--runs 11]
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

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "startup-benchmark", "version": "0"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
TOOLS_LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
EMPTY_SERVER = """
from mcp.server.mcpserver import MCPServer
server = MCPServer("empty")
@server.tool()
def echo(text: str) -> str:
    return text
server.run("stdio")
"""


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds the process has used so far (Linux), steadier than wall time
    on a busy machine; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _send(proc: subprocess.Popen, message: dict) -> None:
    proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()


def _read_response(proc: subprocess.Popen, want_id: int) -> dict:
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"server exited before answering request {want_id}")
        msg = json.loads(line)
        if msg.get("id") == want_id:
            return msg


def time_server(argv: list[str], env: dict[str, str]) -> tuple[float, float, float | None]:
    """Seconds from spawn to the initialize answer and to the tools/list answer, and the CPU
    seconds used until the initialize answer."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    try:
        _send(proc, INITIALIZE)
        answer = _read_response(proc, 1)
        t_init = time.perf_counter() - t0
        cpu_init = _cpu_s(proc.pid)
        if "result" not in answer:
            raise RuntimeError(f"initialize failed: {answer}")
        _send(proc, INITIALIZED)
        _send(proc, TOOLS_LIST)
        tools = _read_response(proc, 2)
        t_list = time.perf_counter() - t0
        if not tools.get("result", {}).get("tools"):
            raise RuntimeError(f"tools/list failed: {tools}")
        return t_init, t_list, cpu_init
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def time_bare_import(python: str, env: dict[str, str]) -> tuple[float, float | None]:
    """Spawn → the import done, seen as a line on stdout (interpreter exit not counted, as for
    the server, whose clock stops at its answer); and the CPU seconds used until then."""
    code = "import sys, mcp.server.mcpserver; print('imported', flush=True); sys.stdin.read()"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [python, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    cpu = _cpu_s(proc.pid)
    proc.stdin.close()
    proc.wait(timeout=30)
    if line.strip() != b"imported":
        raise RuntimeError("the bare import failed")
    return elapsed, cpu


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    python = sys.executable
    script = str(Path(python).parent / "sre-latency")
    variants = {
        "sre-latency serve": [script, "serve"],
        "python -m sre_latency serve": [python, "-m", "sre_latency", "serve"],
        # for scale: what the SDK itself costs to answer initialize (one trivial tool)
        "empty MCPServer (reference)": [python, "-c", EMPTY_SERVER],
    }
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SRE_LATENCY_HOME": home}
        bare: list[tuple[float, float | None]] = []
        served: dict[str, list[tuple[float, float, float | None]]] = {k: [] for k in variants}
        time_bare_import(python, env)  # warm the OS page cache once, for every variant alike
        for _ in range(args.runs):
            bare.append(time_bare_import(python, env))
            for name, argv in variants.items():
                served[name].append(time_server(argv, env))
    floor = statistics.median(b[0] for b in bare)
    floor_cpu = _median([b[1] for b in bare])
    cpu_text = f", {1000 * floor_cpu:.0f} CPU-ms" if floor_cpu else ""
    print(
        f"bare `import mcp.server.mcpserver`: {1000 * floor:.0f} ms{cpu_text} (median of {args.runs})"
    )
    for name in variants:
        t_init = statistics.median(r[0] for r in served[name])
        t_list = statistics.median(r[1] for r in served[name])
        cpu = _median([r[2] for r in served[name]])
        line = f"{name}: initialize answered in {1000 * t_init:.0f} ms = {t_init / floor:.2f}x" + (
            "" if "reference" in name else " (target <= 1.15x)"
        )
        if cpu and floor_cpu:
            line += f", {1000 * cpu:.0f} CPU-ms = {cpu / floor_cpu:.2f}x"
        line += f"; tools/list answered in {1000 * t_list:.0f} ms = {t_list / floor:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
