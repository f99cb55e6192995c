"""The server reads and writes run files only under the results root.

Refusals are checked through the tools (what a model would send) and on the helpers directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
import pytest
from mcp.client import Client

from sre_latency.errors import ConfigError
from sre_latency.server import build_server
from sre_latency.store import LocalStore
from sre_latency.store.resolve import output_file

FAST = {
    "emulate": True,
    "providers": ["anthropic"],
    "n": 2,
    "warmup": 0,
    "emulator_ttft_ms": 2,
    "emulator_itl_ms": 0,
    "emulator_output_tokens": 4,
}


async def _call(client: Client, name: str, args: dict):
    with anyio.fail_after(60):
        return await client.call_tool(name, args)


@pytest.fixture
async def saved_run() -> Path:
    async with Client(build_server()) as client:
        result = await _call(client, "benchmark", FAST)
    assert not result.is_error, result.content[0].text
    return Path(result.structured_content["path"])


async def test_a_run_outside_the_results_root_is_refused(saved_run, tmp_path):
    outside = tmp_path / "outside" / saved_run.name
    outside.parent.mkdir()
    shutil.copy(saved_run, outside)
    async with Client(build_server()) as client:
        absolute = await _call(client, "grade", {"run": str(outside)})
        climbing = await _call(client, "grade", {"run": f"../../outside/{saved_run.name}"})
        system = await _call(client, "report", {"run": "/etc/passwd"})
    assert absolute.is_error and "outside the results root" in absolute.content[0].text
    assert climbing.is_error and "'..'" in climbing.content[0].text
    assert system.is_error and "outside the results root" in system.content[0].text


async def test_a_symlink_that_leads_out_of_the_results_root_is_refused(saved_run, tmp_path):
    outside = tmp_path / "elsewhere.json"
    shutil.copy(saved_run, outside)
    (saved_run.parent / "sneaky.json").symlink_to(outside)
    async with Client(build_server()) as client:
        result = await _call(client, "grade", {"run": "sneaky.json"})
        by_id = await _call(client, "grade", {"run": "sneaky"})
    for r in (result, by_id):
        assert r.is_error and "symlink that leads outside" in r.content[0].text


async def test_runs_are_found_by_id_file_name_and_path_inside_the_root(saved_run):
    store = LocalStore()
    for ref in (saved_run.stem, saved_run.name, str(saved_run), f"runs/{saved_run.name}", None):
        assert store.resolve(ref, confined=True) == saved_run, ref


async def test_an_output_name_is_a_file_name_under_the_root_never_a_path(saved_run):
    async with Client(build_server()) as client:
        for bad in ("../escape.json", "/tmp/escape.json", "sub/dir.json", ".hidden"):
            result = await _call(client, "benchmark", {**FAST, "output": bad})
            assert result.is_error, bad
        taken = await _call(client, "benchmark", {**FAST, "output": saved_run.name})
        named = await _call(client, "benchmark", {**FAST, "output": "nightly"})
    assert taken.is_error and "already exists" in taken.content[0].text
    assert not named.is_error, named.content[0].text
    assert Path(named.structured_content["path"]) == LocalStore().runs_dir / "nightly.json"


def test_output_file_refuses_to_write_through_a_symlink(tmp_path):
    root = tmp_path / "home"
    runs = root / "runs"
    runs.mkdir(parents=True)
    (runs / "link.json").symlink_to(tmp_path / "target.json")
    with pytest.raises(ConfigError, match="symlink"):
        output_file(runs, root, "link.json", ".json")
    assert output_file(runs, root, "fine", ".json") == runs / "fine.json"
