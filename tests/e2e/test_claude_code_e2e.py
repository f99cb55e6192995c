"""The real Claude Code (from npm) against the emulator's scripted conversation, plugin loaded.

The script plays Bash, Read, the plugin's own MCP tool (``tool_timings``), then a final text.
Proves that the hook logs every event of the session with Claude Code's durations, that
``tool_timings`` accounts for the session, and that the MCP tool call returned a result.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from calls import tool_timings
from claude_binary import claude_binary

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "fixtures" / "claude_code" / "session_script.json"
MCP_TOOL = "mcp__plugin_sre-latency_sre-latency__tool_timings"
CLAUDE_TIMEOUT_S = 180


class _Emulator:
    """``sre-latency emulate --script`` in a subprocess, stopped by PID at the end."""

    def __init__(self, script: Path):
        exe = Path(sys.executable).with_name("sre-latency")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "sre_latency"]
        self.proc = subprocess.Popen(
            [*cmd, "emulate", "--script", str(script), "--port", "0", "--ttft-ms", "20",
             "--itl-ms", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        found: list[str] = []
        reader = threading.Thread(target=lambda: found.append(self.proc.stdout.readline()))
        reader.start()
        reader.join(timeout=30)
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", found[0] if found else "")
        if not match:
            self.stop()
            pytest.fail(f"the emulator did not start: {found!r}")
        self.url = match.group(1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc.stdout.close()


def _claude_env(home: Path, sre_home: Path, base_url: str) -> dict[str, str]:
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "SRE_LATENCY_HOME": str(sre_home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": "sk-ant-dummy-e2e",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "LANG": "C.UTF-8",
    }


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One real ``claude -p`` session; yields what the checks need."""
    claude = claude_binary()
    root = tmp_path_factory.mktemp("cc-e2e")
    home, work, sre_home = root / "home", root / "work", root / "sre-home"
    for d in (home, work, sre_home):
        d.mkdir()
    (work / "notes.txt").write_text("latency notes for the scripted Read\n")
    script = root / "script.json"
    script.write_text(SCRIPT.read_text().replace("@WORKDIR@", str(work)))
    emulator = _Emulator(script)
    env = _claude_env(home, sre_home, emulator.url)
    try:
        proc = subprocess.run(
            [str(claude), "-p", "Measure this session's tool latency.", "--output-format", "json",
             "--plugin-dir", str(REPO), "--allowedTools", f"Bash,Read,{MCP_TOOL}"],
            cwd=work, env=env, capture_output=True, text=True, timeout=CLAUDE_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        emulator.stop()
    assert proc.returncode == 0, f"claude failed: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
    result = json.loads(proc.stdout)
    log = sre_home / "claude" / "tool-latency.jsonl"
    events = [json.loads(line) for line in log.read_text().splitlines()]
    transcripts = list((home / ".claude" / "projects").glob(f"*/{result['session_id']}.jsonl"))
    return {"result": result, "log": log, "events": events, "transcripts": transcripts}


def test_claude_code_finishes_the_scripted_session(session):
    result = session["result"]
    assert result["is_error"] is False
    assert result["result"] == "Scripted session finished."
    assert result["num_turns"] == 4


def test_hook_logs_every_event_of_the_session_with_claude_code_durations(session):
    sid = session["result"]["session_id"]
    mine = [e for e in session["events"] if e["session_id"] == sid]
    names = [e["event"] for e in mine]
    assert names[:2] == ["SessionStart", "UserPromptSubmit"]
    assert names[-2:] == ["Stop", "SessionEnd"]
    for tool in ("Bash", "Read", MCP_TOOL):
        pre = [e for e in mine if e["event"] == "PreToolUse" and e.get("tool_name") == tool]
        post = [e for e in mine if e["event"] == "PostToolUse" and e.get("tool_name") == tool]
        assert len(pre) == 1 and len(post) == 1, (tool, names)
        assert pre[0]["tool_use_id"] == post[0]["tool_use_id"]
        assert isinstance(post[0]["duration_ms"], int | float) and post[0]["duration_ms"] >= 0
        assert pre[0]["ts_ns"] <= post[0]["ts_ns"]
    mcp_post = next(e for e in mine if e["event"] == "PostToolUse" and e["tool_name"] == MCP_TOOL)
    assert mcp_post.get("mcp_server")


def test_hook_log_holds_no_prompt_or_tool_content(session):
    text = session["log"].read_text()
    assert "sre-latency-e2e" not in text  # the Bash command and its output
    assert "latency notes" not in text  # the Read file's content
    assert "Measure this session" not in text  # the prompt
    assert oct(session["log"].stat().st_mode & 0o777) == "0o600"


def test_tool_timings_accounts_for_the_real_session(session):
    sid = session["result"]["session_id"]
    result = tool_timings(session=sid, log_path=session["log"])
    timings = result.sessions[0]
    calls = {c.name: c.calls for c in timings.categories}
    assert calls["Bash"] == 1 and calls["Built-in"] == 1 and calls["MCP"] == 1
    assert calls["Model"] == 4  # prompt → Bash, Bash → Read, Read → MCP, MCP → final text
    assert timings.tool_calls == 3 and timings.failures == 0 and timings.unfinished_calls == 0
    assert [s.calls for s in timings.mcp_servers] == [1]
    assert timings.startup_ms > 0  # SessionStart → prompt: MCP servers start meanwhile
    accounted = timings.startup_ms + timings.model_ms + timings.tool_wall_ms + timings.other_ms
    assert accounted == pytest.approx(timings.wall_ms, rel=1e-6, abs=1e-3)


def test_plugin_mcp_tool_call_returned_its_result_to_the_model(session):
    assert session["transcripts"], "Claude Code wrote no transcript for the session"
    results = []
    for line in session["transcripts"][0].read_text().splitlines():
        entry = json.loads(line)
        content = (entry.get("message") or {}).get("content")
        if entry.get("type") == "user" and isinstance(content, list):
            results += [b for b in content if b.get("type") == "tool_result"]
    mcp_result = results[2]  # Bash, Read, then the MCP tool
    assert mcp_result["tool_use_id"] == "toolu_script_03_01"
    assert not mcp_result.get("is_error")
    text = json.dumps(mcp_result["content"])
    assert session["result"]["session_id"] in text  # tool_timings found this very session


def test_statusline_summarises_the_real_session(session):
    sre_home = session["log"].parents[1]
    stdin = json.dumps({"session_id": session["result"]["session_id"],
                        "model": {"id": "claude-opus-5-5", "display_name": "Opus"}})  # fmt: skip
    env = {"PATH": os.environ.get("PATH", ""), "SRE_LATENCY_HOME": str(sre_home)}
    done = subprocess.run(
        ["/bin/sh", str(REPO / "claude_config" / "statusline")],
        input=stdin, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert re.fullmatch(
        r"\[Direct\] Opus \| Model (\d+ms|\d+\.\ds) \| Bash 1x (\d+ms|\d+\.\ds)"
        r" \| Built-in 1x (\d+ms|\d+\.\ds) \| MCP 1x (\d+ms|\d+\.\ds)\n",
        done.stdout,
    ), done.stdout


def test_claude_code_validates_the_plugin_strictly(tmp_path):
    done = subprocess.run(
        [str(claude_binary()), "plugin", "validate", "--strict", str(REPO)],
        capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "DISABLE_AUTOUPDATER": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]


def test_statusline_shows_in_a_real_interactive_claude_code_session(tmp_path):
    """Claude Code runs statuslines only in interactive sessions: drive one in tmux."""
    tmux = shutil.which("tmux")
    if tmux is None:
        pytest.skip("tmux is not installed: cannot drive an interactive Claude Code session")
    claude = claude_binary()
    home, work, sre_home = tmp_path / "home", tmp_path / "work", tmp_path / "sre-home"
    (home / ".claude").mkdir(parents=True)
    work.mkdir()
    key = "sk-ant-api03-dummy-interactive-e2e-0000000000"
    (home / ".claude.json").write_text(json.dumps({
        "hasCompletedOnboarding": True, "theme": "dark",
        "customApiKeyResponses": {"approved": [key[-20:]], "rejected": []},
        "projects": {str(work): {"hasTrustDialogAccepted": True}},
    }))  # fmt: skip
    settings = home / ".claude" / "settings.json"
    subprocess.run([str(Path(sys.executable).with_name("sre-latency")), "install-statusline",
                    "--settings", str(settings)], check=True, timeout=60, capture_output=True)  # fmt: skip
    script = tmp_path / "script.json"
    script.write_text(json.dumps([
        [{"type": "tool_use", "name": "Bash", "input": {"command": "echo hi", "description": "hi"}}],
        [{"type": "text", "text": "Interactive turn done."}],
    ]))  # fmt: skip
    emulator = _Emulator(script)
    name = f"sre-latency-e2e-{os.getpid()}"
    env_args = [f"{k}={v}" for k, v in {
        "HOME": str(home), "SRE_LATENCY_HOME": str(sre_home), "ANTHROPIC_API_KEY": key,
        "ANTHROPIC_BASE_URL": emulator.url, "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }.items()]  # fmt: skip
    try:
        subprocess.run(
            [tmux, "new-session", "-d", "-s", name, "-x", "160", "-y", "40", "-c", str(work),
             "env", *env_args, str(claude), "--plugin-dir", str(REPO), "--allowedTools", "Bash"],
            check=True, timeout=30,
        )  # fmt: skip
        assert _wait_for_screen(tmux, name, "sre-latency: no tool data yet|Model ")
        subprocess.run([tmux, "send-keys", "-t", name, "say hi", "Enter"], check=True, timeout=10)
        screen = _wait_for_screen(tmux, name, r"Model \d+(ms|\.\ds) \| Bash 1x")
        assert screen, "the statusline never showed the session's Bash call"
        assert "[Gateway]" in screen  # ANTHROPIC_BASE_URL points at 127.0.0.1
    finally:
        subprocess.run([tmux, "kill-session", "-t", name], timeout=10, capture_output=True)
        emulator.stop()


def _wait_for_screen(tmux: str, name: str, pattern: str, timeout_s: float = 60.0) -> str:
    """The tmux pane's text once it matches ``pattern`` (polled, bounded), else ''."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        screen = subprocess.run([tmux, "capture-pane", "-t", name, "-p"], capture_output=True,
                                text=True, timeout=10).stdout  # fmt: skip
        if re.search(pattern, screen):
            return screen
        time.sleep(0.5)
    return ""


def test_slash_command_runs_its_mcp_tool_without_a_permission_flag(tmp_path):
    """``/sre-latency:tool-timings`` expands to its prompt and its allowed-tools permit the call."""
    claude = claude_binary()
    home, work, sre_home = tmp_path / "home", tmp_path / "work", tmp_path / "sre-home"
    for d in (home, work, sre_home):
        d.mkdir()
    script = tmp_path / "script.json"
    script.write_text(json.dumps([
        [{"type": "tool_use", "name": MCP_TOOL, "input": {}}],
        [{"type": "text", "text": "Reported."}],
    ]))  # fmt: skip
    emulator = _Emulator(script)
    try:
        proc = subprocess.run(
            [str(claude), "-p", "/sre-latency:tool-timings", "--output-format", "json",
             "--plugin-dir", str(REPO)],
            cwd=work, env=_claude_env(home, sre_home, emulator.url), capture_output=True,
            text=True, timeout=CLAUDE_TIMEOUT_S, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        emulator.stop()
    result = json.loads(proc.stdout)
    assert (result["result"], result["permission_denials"]) == ("Reported.", [])
    (transcript,) = (home / ".claude" / "projects").glob(f"*/{result['session_id']}.jsonl")
    text = transcript.read_text()
    assert "Account for this Claude Code session" in text  # the command's body was the prompt
    assert f'\\"session_id\\":\\"{result["session_id"]}\\"' in text  # the tool's result
