"""The MCP tools through the SDK's in-memory client: schemas, results, progress and errors.

Measurements run against the built-in emulator (``emulate=true``) with a fast profile; nothing
leaves 127.0.0.1. Every call is bounded by ``anyio.fail_after``.
"""

from __future__ import annotations

import json
from pathlib import Path

import anyio
from mcp.client import Client

from fixtures.claude_code.hook_replay import fixture_lines, replay
from sre_latency.server import build_server
from sre_latency.store import LocalStore, load_run_file

FAST = {"emulate": True, "emulator_ttft_ms": 5, "emulator_itl_ms": 0, "emulator_output_tokens": 4}

EXPECTED_TOOLS = {
    "benchmark",
    "capacity",
    "latency_check",
    "grade",
    "compare",
    "report",
    "latency_budget",
    "tool_timings",
    "run_status",
    "monitor_status",
    "session_benchmark",
}


async def _call(client: Client, name: str, args: dict, **kwargs):
    with anyio.fail_after(60):
        return await client.call_tool(name, args, **kwargs)


async def _measure(client: Client, **args) -> dict:
    result = await _call(client, "benchmark", {**FAST, "n": 3, "warmup": 0, **args})
    assert not result.is_error, result.content[0].text
    return result.structured_content


async def test_every_tool_is_listed_with_a_description_bounds_annotations_and_output_schema():
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == EXPECTED_TOOLS
    for tool in tools.values():
        assert len(tool.description or "") > 120 and tool.title, tool.name
        assert tool.output_schema and "summary" in tool.output_schema["properties"], tool.name
        hints = tool.annotations
        assert None not in (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.idempotent_hint,
            hints.open_world_hint,
        ), tool.name
        assert hints.destructive_hint is False, tool.name
    props = tools["benchmark"].input_schema["properties"]
    assert (props["n"]["minimum"], props["n"]["maximum"]) == (1, 500)
    assert props["concurrency"]["maximum"] == 64
    assert props["max_seconds"]["default"] == 45
    assert "COSTS API CREDITS" in tools["benchmark"].description
    assert "COSTS API CREDITS" in tools["latency_check"].description
    assert "COSTS API CREDITS" in tools["session_benchmark"].description
    for measuring in ("benchmark", "latency_check", "latency_budget", "session_benchmark"):
        assert tools[measuring].annotations.open_world_hint is True
        assert tools[measuring].annotations.read_only_hint is False
    for reading in ("grade", "compare", "tool_timings", "run_status"):
        assert tools[reading].annotations.read_only_hint is True
        assert tools[reading].annotations.open_world_hint is False


async def test_benchmark_on_the_emulator_saves_the_run_and_sends_one_progress_step_per_request():
    steps: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        steps.append((progress, total, message))

    async with Client(build_server()) as client:
        result = await _call(
            client,
            "benchmark",
            {**FAST, "providers": ["anthropic", "openai"], "n": 4, "warmup": 1},
            progress_callback=on_progress,
        )
    out = result.structured_content
    assert not result.is_error
    assert out["state"] == "done" and out["continuing_in_background"] is False
    assert (out["finished_requests"], out["planned_requests"]) == (8, 8)
    assert [t["label"] for t in out["result"]["targets"]] == ["anthropic", "openai"]
    assert all(t["ok"] == 4 and t["ttft_p50_ms"] > 0 for t in out["result"]["targets"])
    assert [s[0] for s in steps] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert {s[1] for s in steps} == {8}
    assert all("/4" in s[2] and "TTFT p50 so far" in s[2] and " ms" in s[2] for s in steps)
    run = load_run_file(Path(out["path"]))
    assert run.run_id == out["run_id"] and run.complete
    assert sum(len(p.samples) for p in run.providers.values()) == 8
    assert Path(out["path"]).parent == LocalStore().runs_dir


async def test_measuring_without_credentials_names_the_variable_and_suggests_emulate():
    async with Client(build_server()) as client:
        for tool, args in (
            ("benchmark", {"providers": ["anthropic"]}),
            ("latency_check", {"provider": "anthropic"}),
            ("latency_budget", {"providers": "anthropic"}),
        ):
            result = await _call(client, tool, args)
            assert result.is_error, tool
            text = result.content[0].text
            assert "ANTHROPIC_API_KEY" in text and "emulate=true" in text, text
            assert "--emulate" not in text
    assert LocalStore().list_paths() == []


async def test_emulator_settings_without_emulate_are_refused_in_one_sentence():
    async with Client(build_server()) as client:
        result = await _call(client, "benchmark", {"emulator_ttft_ms": 100})
    assert result.is_error
    assert "only apply with emulate=true" in result.content[0].text


async def test_arguments_out_of_bounds_are_rejected_before_anything_runs():
    async with Client(build_server()) as client:
        for args in ({**FAST, "n": 501}, {**FAST, "concurrency": 65}, {**FAST, "n": 0}):
            result = await _call(client, "benchmark", args)
            assert result.is_error, args
        bad_format = await _call(client, "report", {"format": "pdf"})
    assert LocalStore().list_paths() == []
    text = bad_format.content[0].text  # one sentence naming the parameter, no pydantic report
    assert bad_format.is_error and "\n" not in text and "errors.pydantic.dev" not in text
    assert "bad format:" in text and "'pdf'" in text


async def test_latency_check_on_the_emulator_reports_one_request_per_provider():
    async with Client(build_server()) as client:
        result = await _call(client, "latency_check", {**FAST, "provider": "all"})
    out = result.structured_content
    assert not result.is_error, result.content[0].text
    assert {p["label"] for p in out["providers"]} == {"anthropic", "openai", "bedrock"}
    assert all(p["status"] == "ok" and p["ttft_ms"] > 0 for p in out["providers"])
    assert "TTFT" in out["summary"]
    assert load_run_file(Path(out["path"])).kind == "latency_check"


async def test_grade_compare_and_report_read_the_saved_runs():
    async with Client(build_server()) as client:
        first = await _measure(client)
        second = await _measure(client)
        graded = await _call(client, "grade", {"run": first["run_id"]})
        compared = await _call(client, "compare", {"latest": 2})
        compared_by_id = await _call(
            client, "compare", {"runs": [first["run_id"], Path(second["path"]).name]}
        )
        reported = await _call(client, "report", {})
        both = await _call(client, "compare", {"runs": [first["run_id"]] * 2, "latest": 2})
    assert both.is_error and "either runs or latest N, not both" in both.content[0].text
    assert graded.structured_content["run_id"] == first["run_id"]
    assert graded.structured_content["grade"] in {"A", "B", "C", "D", "F"}
    assert compared.structured_content["baseline_run_id"] in {first["run_id"], second["run_id"]}
    assert compared_by_id.structured_content["baseline_run_id"] == first["run_id"]
    # the latest (run ids sort by the second they were made, so either within one second)
    assert reported.structured_content["run_id"] in {first["run_id"], second["run_id"]}
    for result in (graded, compared, compared_by_id, reported):
        assert not result.is_error
        assert result.structured_content["summary"]
        assert json.loads(result.content[0].text)["summary"] == result.structured_content["summary"]


async def test_report_writes_under_the_reports_folder_and_never_overwrites():
    async with Client(build_server()) as client:
        await _measure(client)
        first = await _call(client, "report", {"format": "md", "output": "weekly"})
        again = await _call(client, "report", {"format": "md", "output": "weekly"})
    written = Path(first.structured_content["output_path"])
    assert written == LocalStore().home / "reports" / "weekly.md"
    assert written.read_text().strip()
    assert again.is_error and "already exists" in again.content[0].text


async def test_analysis_tools_explain_what_to_do_when_there_is_nothing_to_read():
    async with Client(build_server()) as client:
        graded = await _call(client, "grade", {})
        unknown = await _call(client, "grade", {"run": "20200101T000000Z-benchmark-0000"})
        nothing = await _call(client, "compare", {})
    assert graded.is_error and "benchmark tool" in graded.content[0].text
    assert unknown.is_error and "sre-latency://runs" in unknown.content[0].text
    assert nothing.is_error and "latest" in nothing.content[0].text


async def test_latency_budget_measures_warm_and_cold_and_analyses_saved_runs():
    steps: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        steps.append(progress)

    async with Client(build_server()) as client:
        measured = await _call(
            client,
            "latency_budget",
            {**FAST, "providers": ["anthropic", "openai"], "n": 2, "warmup": 0},
            progress_callback=on_progress,
        )
        out = measured.structured_content
        again = await _call(client, "latency_budget", {"run": out["run_id"]})
        mixed = await _call(client, "latency_budget", {"run": out["run_id"], "emulate": True})
    assert not measured.is_error, measured.content[0].text
    assert out["state"] == "done" and out["kind"] == "latency_budget"
    assert steps == [1, 2, 3, 4, 5, 6, 7, 8]  # 2 providers × 2 modes × n=2
    modes = {m["mode"] for t in out["budget"]["targets"] for m in t["modes"]}
    assert modes == {"warm", "cold"}
    assert again.structured_content["budget"]["run_id"] == out["run_id"]
    assert mixed.is_error and "emulate only apply when measuring" in mixed.content[0].text


async def test_tool_timings_accounts_for_a_real_session_logged_by_the_hook(tmp_path):
    records = fixture_lines("a1-session-events.jsonl")
    replay(records, LocalStore().home, tmp_path)
    session = records[0]["payload"]["session_id"]
    async with Client(build_server()) as client:
        result = await _call(client, "tool_timings", {"session": session})
    out = result.structured_content
    assert not result.is_error, result.content[0].text
    assert out["source"] == "hook_log" and out["malformed_lines"] == 0
    (timings,) = out["sessions"]
    assert timings["session_id"] == session and timings["tool_calls"] == 1
    bash = next(c for c in timings["categories"] if c["name"] == "Bash")
    assert bash["calls"] == 1 and bash["total_ms"] == 29  # Claude Code's own duration_ms
    assert out["summary"]


async def test_tool_timings_reads_transcripts_only_under_the_claude_config_dir(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_text("{}\n")
    async with Client(build_server()) as client:
        refused = await _call(client, "tool_timings", {"from_transcript": str(outside)})
        climbing = await _call(client, "tool_timings", {"from_transcript": "../elsewhere.jsonl"})
    assert refused.is_error and "not a transcript under" in refused.content[0].text
    assert climbing.is_error and "'..'" in climbing.content[0].text


async def test_grade_reads_an_slo_file_under_the_root_and_names_the_bad_line(tmp_path):
    home = LocalStore().home
    (home / "strict.toml").write_text("[grades]\nttft_ms.p50 = [100, 200, 300, 400]\n")
    (home / "broken.toml").write_text(
        "[grades]\nttft_ms.p50 = [100, 200, 300, 400]\nno_such_metric.p50 = [1, 2, 3, 4]\n"
    )
    outside = tmp_path / "outside.toml"
    outside.write_text("[grades]\nttft_ms.p50 = [1, 2, 3, 4]\n")
    async with Client(build_server()) as client:
        await _measure(client)
        strict = await _call(client, "grade", {"slo": "strict.toml"})
        broken = await _call(client, "grade", {"slo": "broken.toml"})
        refused = await _call(client, "grade", {"slo": str(outside)})
    assert not strict.is_error, strict.content[0].text
    assert "strict.toml" in strict.structured_content["slo_source"]
    assert broken.is_error and "no_such_metric" in broken.content[0].text
    assert refused.is_error and "outside the results root" in refused.content[0].text


async def test_the_docs_describe_every_tool_and_every_argument_as_the_server_has_them():
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    docs = (root / "docs" / "mcp.md").read_text()
    reference = (root / "docs" / "reference.md").read_text()
    async with Client(build_server()) as client:
        tools = (await client.list_tools()).tools
    for tool in tools:
        assert f"**`{tool.name}`**" in docs, tool.name
        for arg in tool.input_schema["properties"]:
            assert f"| `{arg}` |" in reference, (tool.name, arg)
    check = [sys.executable, str(root / "scripts" / "reference.py"), "--check"]
    assert subprocess.run(check, capture_output=True, text=True).returncode == 0


async def test_a_real_key_never_appears_in_results_logs_or_run_files(monkeypatch, caplog):
    from sre_latency.emulator import run_emulator_in_thread

    secret = "sk-ant-api03-THIS-IS-A-SECRET-0123456789"
    with run_emulator_in_thread(ttft_ms=2, itl_ms=0, output_tokens=4) as emulator:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", emulator.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", secret)
        async with Client(build_server(log_level="DEBUG")) as client:
            measured = await _call(
                client, "benchmark", {"providers": ["anthropic"], "n": 2, "warmup": 0}
            )
            checked = await _call(client, "latency_check", {"provider": "anthropic"})
            graded = await _call(client, "grade", {})
    assert not measured.is_error, measured.content[0].text
    texts = [r.content[0].text for r in (measured, checked, graded)]
    texts += [p.read_text() for p in LocalStore().runs_dir.iterdir()]
    texts.append(caplog.text)
    assert all(secret not in text for text in texts)
    assert all("THIS-IS-A-SECRET" not in text for text in texts)


async def test_an_unexpected_failure_is_logged_to_stderr_and_shows_the_model_no_details(
    monkeypatch, caplog, capsys
):
    import sre_latency.analysis.grade as grade_module

    def broken(*args, **kwargs):
        raise RuntimeError("internal detail /very/secret/path")

    monkeypatch.setattr(grade_module, "grade", broken)
    async with Client(build_server()) as client:
        await _measure(client)
        result = await _call(client, "grade", {})
    assert result.is_error
    assert result.content[0].text == "Error executing tool grade"
    assert "internal detail" in caplog.text  # the traceback is logged, for the operator
    assert capsys.readouterr().out == ""  # stdout belongs to the protocol


async def test_failed_requests_are_counted_in_progress_and_in_the_saved_run():
    steps: list[str | None] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        steps.append(message)

    async with Client(build_server()) as client:
        result = await _call(
            client,
            "benchmark",
            {**FAST, "providers": ["anthropic"], "n": 3, "warmup": 0,
             "emulator_fault": ["rate_limit:1.0"]},
            progress_callback=on_progress,
        )  # fmt: skip
    out = result.structured_content
    assert not result.is_error, result.content[0].text
    assert steps == [
        "anthropic 1/3 (1 error)",
        "anthropic 2/3 (2 errors)",
        "anthropic 3/3 (3 errors)",
    ]
    (target,) = out["result"]["targets"]
    assert target["error_rate"] == 1.0 and target["errors_by_class"] == {"rate_limit": 3}
