"""``sre-latency session-benchmark``: what is refused, with one sentence and exit 2, before any
session starts (no Claude Code needed; the sessions themselves are tested in tests/e2e)."""

from __future__ import annotations

import pytest

from sre_latency.cli import main
from sre_latency.errors import ConfigError
from sre_latency.store import open_store
from sre_latency.tools.session_measure import task_for

INSTALL = "npm install -g @anthropic-ai/claude-code"


def _refused(capsys, *args: str) -> str:
    assert main(["session-benchmark", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    return err


def test_without_claude_code_it_says_how_to_install_it(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no claude on PATH
    err = _refused(capsys, "--emulate", "--task", "simple", "-n", "1")
    assert INSTALL in err and "not installed" in err
    assert INSTALL in _refused(capsys, "--emulate", "--claude", str(tmp_path / "nowhere"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--providers", "anthropic,openai"], "unknown provider 'openai'"),
        (["--task", "no-such-task"], "neither simple, medium, complex nor a task directory"),
        (["--emulator-ttft-ms", "5"], "only apply with --emulate"),
        (["--providers", "anthropic"], "anthropic needs ANTHROPIC_API_KEY"),
        (["--providers", "bedrock"], "bedrock needs AWS_REGION"),
        (["-n", "0"], "bad -n: must be at least 1"),
    ],
)
def test_bad_input_and_missing_credentials_are_refused_before_anything_runs(capsys, args, message):
    assert message in _refused(capsys, *args)


def test_a_gateway_needs_its_url(capsys, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "gateway-token-for-the-test")
    err = _refused(capsys, "--providers", "gateway")
    assert "--gateway-url" in err and "gateway-token-for-the-test" not in err


def test_emulate_refuses_a_task_without_a_scripted_conversation(capsys, tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "task.toml").write_text('prompt = "Do it."\n')
    assert "has no script.json" in _refused(capsys, "--emulate", "--task", str(tmp_path))


def test_an_mcp_caller_names_a_built_in_task_or_one_under_the_results_root(tmp_path):
    store = open_store()
    assert task_for("medium", store, confined=True).name == "medium"
    (tmp_path / "repo").mkdir()
    (tmp_path / "task.toml").write_text('prompt = "Do it."\n')
    for ref in (str(tmp_path), "../elsewhere", "missing"):
        with pytest.raises(ConfigError, match=r"task directory under|climbs out"):
            task_for(ref, store, confined=True)
    mine = store.home / "tasks" / "mine"
    (mine / "repo").mkdir(parents=True)
    (mine / "task.toml").write_text('prompt = "Do it."\n')
    assert task_for("mine", store, confined=True).path == mine.resolve()
