"""``sre-latency serve`` over real stdio, driven by the SDK's own stdio client."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from sre_latency.server import build_server
from sre_latency.store import LocalStore, load_run_file

SCRIPT = Path(sys.executable).parent / "sre-latency"


async def test_sre_latency_serve_answers_over_stdio_and_measures_the_emulator(tmp_path):
    steps: list[str | None] = []
    all_six = anyio.Event()  # 3 providers × 2 requests

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        steps.append(message)
        if len(steps) == 6:
            all_six.set()

    params = StdioServerParameters(
        command=str(SCRIPT),
        args=["serve"],
        env={"SRE_LATENCY_HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")},
    )
    with anyio.fail_after(60):
        async with Client(params, mode="legacy") as client:
            assert client.server_info.name == "sre-latency"
            tools = {t.name for t in (await client.list_tools()).tools}
            result = await client.call_tool(
                "latency_check", {"emulate": True, "provider": "anthropic"}
            )
            measured = await client.call_tool(
                "benchmark",
                {"emulate": True, "n": 2, "warmup": 0, "emulator_ttft_ms": 5},
                progress_callback=on_progress,
            )
            await all_six.wait()  # notifications are delivered by tasks of their own
    assert {"benchmark", "latency_check", "run_status"} <= tools
    assert not result.is_error, result.content[0].text
    assert result.structured_content["providers"][0]["status"] == "ok"
    assert Path(result.structured_content["path"]).parent == tmp_path / "runs"
    assert measured.structured_content["state"] == "done"
    assert len(steps) == 6 and all("TTFT p50 so far" in m for m in steps)  # 3 providers × 2


async def test_serve_help_names_every_tool_and_says_how_to_add_the_server_to_claude_code():
    out = subprocess.run(
        [str(SCRIPT), "serve", "--help"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert "claude mcp add sre-latency -- sre-latency serve" in out
    assert "mcpServers" in out and "inspector" in out
    async with Client(build_server()) as client:
        tools = [t.name for t in (await client.list_tools()).tools]
    assert all(name in out for name in tools)


async def test_a_background_run_is_saved_when_the_client_closes_the_stdio_session(tmp_path):
    params = StdioServerParameters(
        command=str(SCRIPT),
        args=["serve"],
        env={"SRE_LATENCY_HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")},
    )
    slow = {
        "emulate": True, "providers": ["anthropic"], "n": 200, "warmup": 0,
        "emulator_ttft_ms": 100, "emulator_itl_ms": 0, "max_seconds": 0.5,
    }  # fmt: skip
    with anyio.fail_after(60):
        async with Client(params, mode="legacy") as client:
            result = await client.call_tool("benchmark", slow)
            assert result.structured_content["continuing_in_background"] is True
    # Normally the server folds the journal into the run file as it exits; if the client's
    # 2 s grace ran out on a busy machine, the journal alone still holds every sample.
    (saved,) = LocalStore(tmp_path).list_paths()
    run = load_run_file(saved)
    assert run.complete is False and len(run.providers["anthropic"].samples) < 200


def test_starting_the_server_imports_no_heavy_module_until_a_tool_needs_it():
    """Claude Code waits for initialize; numpy, botocore and the tool modules load later."""
    code = (
        "import sys\n"
        "from sre_latency.cli import build_parser\n"
        "build_parser(only='serve')\n"
        "from sre_latency.server import build_server\n"
        "build_server()\n"
        "heavy = ('numpy', 'botocore', 'boto3', 'aiohttp', 'matplotlib', 'sre_latency.tools.',\n"
        "         'sre_latency.store', 'sre_latency.core.contract')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.strip() == "[]"
