"""An MCP client trying to escape the results root or to make the server do unbounded work
(issue 12): each attempt is one sentence, nothing is written outside the root."""

from __future__ import annotations

import os

import anyio
import pytest
from mcp.client import Client

from recorded import RUNS
from sre_latency.server import build_server
from sre_latency.store import LocalStore, default_home

FAST = {"emulate": True, "providers": ["anthropic"], "n": 1, "warmup": 0,
        "emulator_ttft_ms": 1, "emulator_itl_ms": 0, "emulator_output_tokens": 2}  # fmt: skip


async def _call(client: Client, name: str, args: dict):
    with anyio.fail_after(60):
        return await client.call_tool(name, args)


@pytest.mark.parametrize("tool", ["benchmark", "latency_check"])
async def test_a_symlinked_runs_directory_is_refused_for_measuring_writes(tmp_path, tool):
    outside = tmp_path / "outside"
    outside.mkdir()
    home = default_home()
    home.mkdir(parents=True, exist_ok=True)
    (home / "runs").symlink_to(outside)
    args = FAST if tool == "benchmark" else {"emulate": True, "providers": ["anthropic"]}
    async with Client(build_server()) as client:
        plain = await _call(client, tool, args)
        named = await _call(client, tool, {**args, "output": "mine"})
    for result in (plain, named):
        assert result.is_error and "outside the results root" in result.content[0].text
    assert list(outside.iterdir()) == []


async def test_a_symlinked_reports_directory_is_refused_for_reports(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    store = LocalStore()
    run = store.save(store.load_path(RUNS / "base.json"))
    (store.home / "reports").symlink_to(outside)
    async with Client(build_server()) as client:
        result = await _call(client, "report", {"run": run.name, "output": "r", "format": "md"})
    assert result.is_error and "outside the results root" in result.content[0].text
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize(
    ("tool", "args", "reason"),
    [
        ("grade", {"run": "r" * 100_000}, "run is 100,000 characters long"),
        ("grade", {"run": "r" * 2000}, "at most 1024 characters"),
        ("grade", {"slo": "s" * 5000}, "slo is 5,000 characters long"),
        ("report", {"output": "o" * 100_000}, "output is 100,000 characters long"),
        ("compare", {"runs": ["a" * 5000, "b"]}, "runs is 5,000 characters long"),
        ("compare", {"runs": [f"r{i}" for i in range(10_000)]}, "runs lists 10,000 values"),
        ("grade", {"threshold": ["ttft_ms p95 < " + "5" * 20_000]}, "characters long"),
        ("grade", {"threshold": ["ttft_ms p95 < " + "." * 4000]}, "is no threshold"),
        ("grade", {"threshold": ["ttft_ms p95 < 1"] * 1000}, "threshold lists 1,000 values"),
        ("tool_timings", {"session": "s" * 100_000}, "session is 100,000 characters long"),
        # found by benchmarks/fuzz.py: a validator quoted a 4,000-character value whole
        (
            "benchmark",
            {"emulate": True, "bedrock_latency": "\u00e9" * 4000},
            "optimized or standard",
        ),
    ],
)
async def test_oversized_inputs_are_one_sentence_before_any_work(tool, args, reason):
    store = LocalStore()
    store.save(store.load_path(RUNS / "base.json"))
    async with Client(build_server()) as client:
        result = await _call(client, tool, args)
    text = result.content[0].text
    assert result.is_error and reason in text, text
    assert "Traceback" not in text and len(text) < 600


async def test_the_runs_resource_names_an_unreadable_file_and_lists_the_others():
    store = LocalStore()
    good = store.save(store.load_path(RUNS / "base.json"))
    (store.runs_dir / "broken.json").write_bytes(b'{"schema_version": 2, "run_id": "\xff"}')
    os.mkfifo(store.runs_dir / "pipe.json")
    async with Client(build_server()) as client:
        with anyio.fail_after(30):
            listing = (await client.read_resource("sre-latency://runs")).contents[0].text
    lines = {line.split()[0]: line for line in listing.splitlines()}
    assert "complete" in lines[good.stem]
    assert "unreadable" in lines["broken.json"] and "unreadable" in lines["pipe.json"]
