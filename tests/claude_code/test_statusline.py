"""The statusline script and ``sre-latency install-statusline``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from fixtures.claude_code.hook_replay import STATUSLINE, fixture_lines, replay
from sre_latency.cli import main

A1_SESSION = "cc7e57e5-d9c1-4cd4-b462-3f756d0bbbfc"
MCP_SESSION = "257b3f7a-7984-4415-acf1-60c1cd929f64"
_PROVIDER_VARS = ("CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "ANTHROPIC_BASE_URL")


def _statusline(stdin: bytes | dict, home: Path, **env_vars: str) -> subprocess.CompletedProcess:
    data = stdin if isinstance(stdin, bytes) else json.dumps(stdin).encode()
    env = {k: v for k, v in os.environ.items() if k not in _PROVIDER_VARS}
    env.update(SRE_LATENCY_HOME=str(home), **env_vars)
    return subprocess.run(
        ["/bin/sh", str(STATUSLINE)], input=data, env=env, capture_output=True, timeout=30
    )


def _status_input(session_id: str) -> dict:
    """The shape Claude Code pipes to a statusline command."""
    return {
        "hook_event_name": "Status",
        "session_id": session_id,
        "model": {"id": "claude-opus-4-6", "display_name": "Opus 4.6"},
        "workspace": {"current_dir": "/home/dev/proj"},
    }


def test_statusline_shows_model_time_and_tool_categories_of_the_session(tmp_path):
    replay(fixture_lines("hook-payload-examples.jsonl"), tmp_path, tmp_path)
    records = fixture_lines("a1-session-events.jsonl")
    ts = {r["payload"]["hook_event_name"]: r["ts_ns"] for r in records}
    model_ms = (ts["PreToolUse"] - ts["UserPromptSubmit"] + ts["Stop"] - ts["PostToolBatch"]) / 1e6
    done = _statusline(_status_input(A1_SESSION), tmp_path)
    assert done.returncode == 0
    assert done.stdout.decode() == f"[Direct] Opus 4.6 | Model {model_ms:.0f}ms | Bash 1x 29ms\n"


def test_statusline_counts_mcp_calls_and_failures(tmp_path):
    replay(fixture_lines("hook-payload-examples.jsonl"), tmp_path, tmp_path)
    line = _statusline(_status_input(MCP_SESSION), tmp_path).stdout.decode()
    assert "| Bash 1x 11ms | MCP 2x 165ms | 2 failed" in line


@pytest.mark.parametrize(
    ("env", "tag"),
    [
        ({}, "Direct"),
        ({"ANTHROPIC_BASE_URL": "https://api.anthropic.com"}, "Direct"),
        ({"CLAUDE_CODE_USE_BEDROCK": "1"}, "Bedrock"),
        ({"CLAUDE_CODE_USE_VERTEX": "1"}, "Vertex"),
        ({"ANTHROPIC_BASE_URL": "https://llm-gateway.example.internal"}, "Gateway"),
        ({"ANTHROPIC_BASE_URL": "https://anthropic.com.evil.test"}, "Gateway"),
    ],
)
def test_statusline_tags_the_provider_from_the_environment(tmp_path, env, tag):
    line = _statusline(_status_input(A1_SESSION), tmp_path, **env).stdout.decode()
    assert line.startswith(f"[{tag}] Opus 4.6")


def test_statusline_prints_a_short_line_without_a_log_or_with_bad_input(tmp_path):
    no_log = _statusline(_status_input(A1_SESSION), tmp_path / "nothing-here")
    assert (no_log.returncode, no_log.stderr) == (0, b"")
    assert no_log.stdout.decode() == "[Direct] Opus 4.6 | sre-latency: no tool data yet\n"
    for garbage in (b"", b"not json", b'{"session_id": "../../etc/passwd"}'):
        done = _statusline(garbage, tmp_path)
        assert done.returncode == 0 and done.stderr == b""
        assert done.stdout.decode().endswith("sre-latency: no session\n")


def test_install_statusline_merges_into_settings_and_keeps_a_backup(tmp_path, capsys):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"model": "opus", "hooks": {"Stop": []}}))
    assert main(["install-statusline", "--settings", str(settings)]) == 0
    merged = json.loads(settings.read_text())
    assert merged["model"] == "opus" and merged["hooks"] == {"Stop": []}
    assert merged["statusLine"]["type"] == "command"
    assert merged["statusLine"]["command"].endswith("claude_config/statusline")
    (backup,) = tmp_path.glob("settings.json.bak-*")
    assert json.loads(backup.read_text()) == {"model": "opus", "hooks": {"Stop": []}}
    assert main(["install-statusline", "--settings", str(settings)]) == 0
    assert "already installed" in capsys.readouterr().out


def test_install_statusline_refuses_to_replace_another_statusline_without_force(tmp_path, capsys):
    settings = tmp_path / "settings.json"
    theirs = {"statusLine": {"type": "command", "command": "~/bin/my-status"}}
    settings.write_text(json.dumps(theirs))
    assert main(["install-statusline", "--settings", str(settings)]) == 2
    assert "--force" in capsys.readouterr().err
    assert json.loads(settings.read_text()) == theirs
    assert main(["install-statusline", "--settings", str(settings), "--force"]) == 0
    assert json.loads(settings.read_text())["statusLine"]["command"].endswith(
        "claude_config/statusline"
    )
    assert json.loads(next(tmp_path.glob("settings.json.bak-*")).read_text()) == theirs


def test_install_statusline_creates_settings_and_rejects_broken_json(tmp_path, capsys):
    fresh = tmp_path / "new" / "settings.json"
    assert main(["install-statusline", "--settings", str(fresh)]) == 0
    assert "statusLine" in json.loads(fresh.read_text())
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["install-statusline", "--settings", str(broken)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert broken.read_text() == "{not json"


def test_installed_statusline_command_runs_as_claude_code_would(tmp_path):
    settings = tmp_path / "settings.json"
    assert main(["install-statusline", "--settings", str(settings)]) == 0
    command = json.loads(settings.read_text())["statusLine"]["command"]
    done = subprocess.run(
        ["/bin/sh", "-c", command], input=json.dumps(_status_input(A1_SESSION)).encode(),
        capture_output=True, timeout=30, env={**os.environ, "SRE_LATENCY_HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.stdout.decode().endswith("sre-latency: no tool data yet\n")


def test_install_statusline_takes_an_explicit_script_and_names_a_missing_one(tmp_path, capsys):
    settings = tmp_path / "settings.json"
    script = tmp_path / "my statusline"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    assert main(["install-statusline", "--settings", str(settings), "--script", str(script)]) == 0
    command = json.loads(settings.read_text())["statusLine"]["command"]
    assert subprocess.run(["/bin/sh", "-c", command], capture_output=True, timeout=30,
                          text=True).stdout == "hi\n"  # fmt: skip
    missing = ["install-statusline", "--settings", str(settings), "--script", str(tmp_path / "x")]
    assert main(missing) == 2
    assert "is missing" in capsys.readouterr().err
