"""``session-benchmark --emulate``: the real Claude Code binary (npm) runs the simple task on the
Anthropic and the Bedrock route of the emulator, which plays the task's scripted conversation,
and the run file is checked against what the emulator recorded of every request."""

from __future__ import annotations

import contextlib
import io
import json
import os

import anyio
import pytest

from claude_binary import CLAUDE_CODE_VERSION, claude_binary
from sre_latency.cli import main
from sre_latency.store import load_run_file
from sre_latency.tools import session_measure

pytestmark = pytest.mark.e2e
OVERHEAD_MS = 150.0  # injected on every Bedrock request
TTFT_MS = 100.0  # the --emulate profile's
TURN_ROUTES = ("/v1/messages", "/invoke-with-response-stream")
CREDENTIALS = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "AWS_ACCESS_KEY_ID", "AWS_PROFILE",
               "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK")  # fmt: skip


@pytest.fixture(scope="module")
def benchmarked(tmp_path_factory):
    """One run: simple task, anthropic + bedrock, 2 rounds; the emulator kept for its records."""
    claude = claude_binary()
    root = tmp_path_factory.mktemp("sessions")
    started = []

    def keep(*args, **kwargs):
        started.append(original(*args, **kwargs))
        return started[-1]

    original = session_measure.start_emulator
    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SRE_LATENCY_HOME", str(root / "home"))
        for var in CREDENTIALS:
            mp.delenv(var, raising=False)
        mp.setattr(session_measure, "start_emulator", keep)
        with contextlib.redirect_stdout(stdout):
            code = main(["session-benchmark", "--emulate", "--task", "simple", "-n", "2",
                         "--providers", "anthropic,bedrock", "--claude", str(claude),
                         "--emulator-bedrock-overhead-ms", str(OVERHEAD_MS),
                         "--output", str(root / "run.json"), "--json"])  # fmt: skip
    (emulator,) = started
    records = {r.request_id: r for r in emulator.records}
    return code, json.loads(stdout.getvalue()), load_run_file(root / "run.json"), records


def test_every_session_ran_passed_its_check_and_the_version_is_recorded(benchmarked):
    code, result, run, _ = benchmarked
    assert code == 0 and (result["finished"], result["planned"]) == (4, 4)
    assert run.kind == "session" and run.complete
    assert run.environment.claude_code_version == CLAUDE_CODE_VERSION
    assert result["claude_code_version"] == CLAUDE_CODE_VERSION
    for label in ("anthropic", "bedrock"):
        sessions = run.providers[label].sessions
        assert [s.round for s in sessions] == [0, 1]
        assert all(s.outcome == "ok" and s.success for s in sessions), label
        assert len(run.providers[label].samples) == 2


def test_api_calls_and_their_ttft_match_the_emulators_records(benchmarked):
    _, _, run, records = benchmarked
    turns = [r for r in records.values() if r.route.endswith(TURN_ROUTES)]
    calls = [c for p in run.providers.values() for s in p.sessions for c in s.api_calls]
    assert len(calls) == len(turns) == 4 * 3  # 3 scripted turns per session
    assert {c.request_id for c in calls} == {r.request_id for r in turns}
    for label, extra in (("anthropic", 0.0), ("bedrock", OVERHEAD_MS)):
        for s in run.providers[label].sessions:
            for c in s.api_calls:
                truth = records[c.request_id].ttft_ns / 1e6
                assert c.ttft_source == "emulator" and c.ttft_ms == pytest.approx(truth, abs=3)
                assert c.ttft_ms >= TTFT_MS + extra  # the emulator never sends early
                assert c.claude_code_ttft_ms is not None  # kept beside the truth


def test_tool_calls_and_categories_are_the_scripted_ones(benchmarked):
    _, _, run, _ = benchmarked
    for p in run.providers.values():
        for s in p.sessions:
            assert [(t.tool_name, t.category, t.success) for t in s.tool_calls] == [
                ("Write", "Built-in", True), ("Bash", "Bash", True)]  # fmt: skip
            assert all(t.duration_ms is not None for t in s.tool_calls)
    bedrock = run.providers["bedrock"].sessions
    assert [s.side_requests for s in bedrock] == [4, 4]  # the inference-profile GET + 3 probes


def test_the_injected_bedrock_overhead_is_recovered_within_5_percent(benchmarked):
    _, result, _, _ = benchmarked
    (why,) = result["explanations"]
    ttft = next(c for c in why["components"] if c["name"] == "call_ttft")
    assert ttft["per_call_delta_ms"] == pytest.approx(OVERHEAD_MS, rel=0.05)
    assert why["statement"].startswith("bedrock sessions ")
    assert "per-call TTFT +1" in why["statement"]


async def test_the_mcp_tool_reports_one_progress_step_per_finished_session(monkeypatch):
    from mcp.client import Client

    from sre_latency.server import build_server

    monkeypatch.setenv("PATH", f"{claude_binary().parent}{os.pathsep}{os.environ['PATH']}")
    steps: list[str | None] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        steps.append(message)

    async with Client(build_server()) as client:
        with anyio.fail_after(240):
            answer = await client.call_tool(
                "session_benchmark",
                {"emulate": True, "n": 1, "providers": ["anthropic", "bedrock"],
                 "max_seconds": 200},
                progress_callback=on_progress,
            )  # fmt: skip
    assert not answer.is_error, answer.content[0].text
    status = answer.structured_content
    assert status["state"] == "done" and status["kind"] == "session"
    assert len(steps) == 2 and all(" 1/1" in (m or "") for m in steps)
    assert status["sessions"]["explanations"][0]["b"] == "bedrock"


def test_a_session_past_max_session_s_is_killed_and_kept_as_a_timeout(
    tmp_path, monkeypatch, capsys
):
    """A user's own task (the documented format) whose script runs a long Bash command."""
    task = tmp_path / "slow-task"
    (task / "repo").mkdir(parents=True)
    (task / "repo" / "README.md").write_text("A task that never finishes.\n")
    (task / "task.toml").write_text(
        'prompt = "Wait for the build."\nallowed_tools = ["Bash"]\n'
        'check = ["{python}", "-c", "import sys; sys.exit(1)"]\n'
    )
    (task / "script.json").write_text(json.dumps([
        [{"type": "tool_use", "name": "Bash", "input": {"command": "python3 -c \"import time; time.sleep(120)\"", "description": "wait"}}],
        [{"type": "text", "text": "Done waiting."}],
    ]))  # fmt: skip
    out = tmp_path / "run.json"
    code = main(["session-benchmark", "--emulate", "--task", str(task), "-n", "1",
                 "--providers", "anthropic", "--claude", str(claude_binary()),
                 "--max-session-s", "10", "--output", str(out)])  # fmt: skip
    assert code == 1  # no session finished
    run = load_run_file(out)
    (session,) = run.providers["anthropic"].sessions
    assert session.outcome == "timeout" and session.success is False
    assert 10_000 <= session.wall_ms < 30_000
    assert len(session.api_calls) == 1  # exported while it ran, before the kill
    assert run.providers["anthropic"].samples[0].error.class_ == "timeout"
    assert "killed after --max-session-s 10 s" in session.notes
    assert "0/1" in capsys.readouterr().out  # the table: no session passed its check
