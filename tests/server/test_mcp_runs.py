"""Runs longer than a client waits: max_seconds, background continuation, cancellation, resources.

A deliberately slow emulator profile makes a run outlast ``max_seconds`` (a slower machine only
makes it slower, so the outcome does not depend on timing); cancellation is triggered from the
progress stream after a known number of finished requests.
"""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from mcp.client import Client

from sre_latency.server import build_server
from sre_latency.store import LocalStore, load_run_file

SLOW = {
    "emulate": True,
    "providers": ["anthropic"],
    "warmup": 0,
    "emulator_ttft_ms": 150,
    "emulator_itl_ms": 0,
    "emulator_output_tokens": 4,
}


async def _poll_until_finished(client: Client, run_id: str) -> dict:
    with anyio.fail_after(60):
        while True:
            status = await client.call_tool("run_status", {"run": run_id})
            assert not status.is_error, status.content[0].text
            if status.structured_content["state"] != "running":
                return status.structured_content
            await anyio.sleep(0.1)


async def test_a_run_longer_than_max_seconds_answers_early_and_finishes_in_the_background():
    async with Client(build_server()) as client:
        with anyio.fail_after(30):
            first = await client.call_tool("benchmark", {**SLOW, "n": 6, "max_seconds": 0.1})
        early = first.structured_content
        assert not first.is_error, first.content[0].text
        assert early["state"] == "running" and early["continuing_in_background"] is True
        assert early["planned_requests"] == 6 and early["finished_requests"] < 6
        assert early["run_id"] in early["summary"] and "run_status" in early["summary"]

        with anyio.fail_after(30):
            second = await client.call_tool("benchmark", {**SLOW, "n": 1})
        assert second.is_error and "skew" in second.content[0].text
        assert early["run_id"] in second.content[0].text

        listing = await client.read_resource("sre-latency://runs")
        assert f"{early['run_id']}  benchmark  running" in listing.contents[0].text

        final = await _poll_until_finished(client, early["run_id"])
        resource = await client.read_resource(f"sre-latency://runs/{early['run_id']}")
    assert final["state"] == "done" and final["continuing_in_background"] is False
    assert final["finished_requests"] == 6 and final["share_done_pct"] == 100.0
    assert final["result"]["targets"][0]["n"] == 6
    assert json.loads(resource.contents[0].text)["state"] == "done"
    run = load_run_file(Path(final["path"]))
    assert run.complete and len(run.providers["anthropic"].samples) == 6


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_cancelled_benchmark_keeps_and_saves_every_finished_sample(mode):
    """auto: the in-process call is cancelled directly; legacy: over JSON-RPC, the client sends
    notifications/cancelled like Claude Code does when the user presses Esc."""
    seen: list[float] = []
    stop = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)
        if len(seen) == 3:
            stop.set()

    server = build_server()
    async with Client(server, mode=mode) as client:
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:

                async def call() -> None:
                    await client.call_tool(
                        "benchmark", {**SLOW, "n": 200, "emulator_ttft_ms": 20},
                        progress_callback=on_progress,
                    )  # fmt: skip

                tg.start_soon(call)
                await stop.wait()
                tg.cancel_scope.cancel()
            manager = server.run_manager
            with anyio.fail_after(30):
                for active in manager.running():
                    await active.finished.wait()
        paths = LocalStore().list_paths()
        assert len(paths) == 1
        status = await client.call_tool("run_status", {})
    run = load_run_file(paths[0])
    samples = run.providers["anthropic"].samples
    assert run.complete is False
    assert len(samples) >= 3 and len(samples) < 200
    assert [s.seq for s in samples] == sorted(s.seq for s in samples)
    assert any("cancelled" in note for note in run.validity_notes)
    assert status.structured_content["state"] in {"cancelled", "incomplete"}
    assert status.structured_content["finished_requests"] == len(samples)


async def test_closing_the_session_stops_background_runs_and_saves_them():
    async with Client(build_server()) as client:
        with anyio.fail_after(30):
            first = await client.call_tool("benchmark", {**SLOW, "n": 100, "max_seconds": 0.3})
        assert first.structured_content["continuing_in_background"] is True
    paths = LocalStore().list_paths()
    assert [p.suffix for p in paths] == [".json"]
    run = load_run_file(paths[0])
    assert run.complete is False and len(run.providers["anthropic"].samples) < 100


async def test_runs_resource_lists_saved_runs_one_line_each_and_explains_an_empty_store():
    async with Client(build_server()) as client:
        empty = await client.read_resource("sre-latency://runs")
        assert "No runs under" in empty.contents[0].text
        ids = []
        for _ in range(2):
            with anyio.fail_after(30):
                r = await client.call_tool("benchmark", {**SLOW, "n": 1, "emulator_ttft_ms": 1})
            ids.append(r.structured_content["run_id"])
        listing = (await client.read_resource("sre-latency://runs")).contents[0].text
        templates = await client.list_resource_templates()
    lines = listing.splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted(ids)
    assert all("complete" in line and "TTFT p50" in line for line in lines)
    assert [t.uri_template for t in templates.resource_templates] == ["sre-latency://runs/{run_id}"]


async def test_reading_an_unknown_run_resource_is_an_error_with_a_next_step():
    from mcp.shared.exceptions import MCPError

    async with Client(build_server()) as client:
        with pytest.raises(MCPError, match=r"sre-latency://runs"):
            await client.read_resource("sre-latency://runs/20200101T000000Z-benchmark-0000")


async def test_a_long_latency_budget_continues_in_the_background_and_ends_with_its_budget():
    async with Client(build_server()) as client:
        with anyio.fail_after(30):
            first = await client.call_tool("latency_budget", {**SLOW, "n": 2, "max_seconds": 0.1})
        early = first.structured_content
        assert not first.is_error, first.content[0].text
        assert early["state"] == "running" and early["continuing_in_background"] is True
        final = await _poll_until_finished(client, early["run_id"])
    assert final["state"] == "done" and final["kind"] == "latency_budget"
    assert final["finished_requests"] == 4
    assert {m["mode"] for m in final["budget"]["targets"][0]["modes"]} == {"warm", "cold"}
    assert load_run_file(Path(final["path"])).run_id == final["run_id"]
