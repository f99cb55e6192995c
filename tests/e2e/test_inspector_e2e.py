"""The official MCP Inspector CLI (from npm) lists the tools and calls latency_check on the emulator.

The Inspector is pinned to a version that runs on Node 20 and installed once into a cache dir
(``$SRE_LATENCY_NPM_CACHE``, default ``~/.cache/sre-latency/npm``). The server command comes
before the Inspector's own flags: ``mcp-inspector --cli sre-latency serve --method tools/list``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

INSPECTOR = "@modelcontextprotocol/inspector@0.15.0"
SERVER = [str(Path(sys.executable).parent / "sre-latency"), "serve"]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed"),
]


@pytest.fixture(scope="module")
def inspector() -> Path:
    cache = Path(
        os.environ.get("SRE_LATENCY_NPM_CACHE") or Path.home() / ".cache" / "sre-latency" / "npm"
    )
    binary = cache / "node_modules" / ".bin" / "mcp-inspector"
    if not binary.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(cache), INSPECTOR],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return binary


def _inspect(inspector: Path, home: Path, *method: str) -> dict:
    env = {**os.environ, "SRE_LATENCY_HOME": str(home)}
    done = subprocess.run(
        [str(inspector), "--cli", *SERVER, *method],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_the_inspector_lists_every_tool_with_its_schema(inspector, tmp_path):
    listed = _inspect(inspector, tmp_path, "--method", "tools/list")
    tools = {t["name"]: t for t in listed["tools"]}
    assert {"benchmark", "latency_check", "grade", "compare", "report", "latency_budget",
            "tool_timings", "run_status"} <= set(tools)  # fmt: skip
    assert tools["benchmark"]["inputSchema"]["properties"]["n"]["maximum"] == 500
    assert tools["grade"]["annotations"]["readOnlyHint"] is True


def test_the_inspector_calls_latency_check_on_the_emulator(inspector, tmp_path):
    called = _inspect(
        inspector, tmp_path,
        "--method", "tools/call", "--tool-name", "latency_check",
        "--tool-arg", "emulate=true", "--tool-arg", "provider=anthropic",
    )  # fmt: skip
    assert not called.get("isError"), called
    result = called["structuredContent"]
    assert result["providers"][0]["status"] == "ok"
    assert result["providers"][0]["ttft_ms"] > 0
    assert Path(result["path"]).parent == tmp_path / "runs"
