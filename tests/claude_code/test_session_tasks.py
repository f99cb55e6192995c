"""The shipped session-benchmark tasks and the task format (docs/session-benchmark.md#tasks)."""

from __future__ import annotations

import asyncio
import json

import pytest

from sre_latency.claude_code.session_run import fresh_workspace, run_check
from sre_latency.claude_code.task_spec import BUILTIN_TASKS, load_task
from sre_latency.emulator.scripted import Script
from sre_latency.errors import ConfigError

EXPECTED_TOOL_CALLS = {"simple": (1, 3), "medium": (5, 8), "complex": (10, 15)}


def play_edits(script: Script) -> None:
    """Do what the script's Write and Edit calls do (Claude Code does it in a real session)."""
    for turn in script.turns:
        for block in turn.content:
            args = block.get("input", {})
            if block.get("name") == "Write":
                with open(args["file_path"], "w", encoding="utf-8") as f:
                    f.write(args["content"])
            elif block.get("name") == "Edit":
                with open(args["file_path"], encoding="utf-8") as f:
                    text = f.read()
                assert text.count(args["old_string"]) == 1, args["old_string"]
                with open(args["file_path"], "w", encoding="utf-8") as f:
                    f.write(text.replace(args["old_string"], args["new_string"]))


@pytest.mark.parametrize("name", BUILTIN_TASKS)
def test_each_shipped_task_fails_its_check_untouched_and_passes_after_its_script(name, tmp_path):
    task = load_task(name)
    workspace = tmp_path / "workspace"
    fresh_workspace(task, workspace)
    assert asyncio.run(run_check(task, workspace)) != 0
    script = Script.from_data(task.script_data(workspace))
    play_edits(script)
    assert asyncio.run(run_check(task, workspace)) == 0
    calls = sum(b["type"] == "tool_use" for t in script.turns for b in t.content)
    low, high = EXPECTED_TOOL_CALLS[name]
    assert low <= calls <= high
    assert {b["name"] for t in script.turns for b in t.content if b["type"] == "tool_use"} <= set(
        task.allowed_tools
    )


def test_a_task_directory_in_the_documented_format_is_a_task(tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "notes.txt").write_text("hello\n")
    (tmp_path / "task.toml").write_text(
        'prompt = "Append a line to notes.txt."\nallowed_tools = ["Read", "Edit"]\n'
        'check = ["{python}", "-c", "import sys; sys.exit(0)"]\nmax_session_s = 90\n'
    )
    task = load_task(str(tmp_path))
    assert (task.prompt, task.allowed_tools, task.max_session_s) == (
        "Append a line to notes.txt.", ("Read", "Edit"), 90.0)  # fmt: skip
    assert task.check_argv("/py")[:2] == ["/py", "-c"]
    assert not task.builtin and task.repo == tmp_path / "repo"
    with pytest.raises(ConfigError, match=r"has no script\.json"):
        task.script_data(tmp_path)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "has no task.toml"),
        ({"task.toml": 'prompt = "x"'}, "has no repo/ directory"),
        ({"task.toml": "prompt = ''", "repo/": ""}, "needs a prompt"),
        ({"task.toml": "prompt = [", "repo/": ""}, "cannot be read"),
        ({"task.toml": 'prompt = "x"\ncheck = "make"', "repo/": ""}, "check must be a non-empty"),
        ({"task.toml": 'prompt = "x"\nmax_session_s = -1', "repo/": ""}, "positive number"),
    ],
)
def test_a_broken_task_is_refused_with_one_sentence(tmp_path, files, message):
    for name, text in files.items():
        if name.endswith("/"):
            (tmp_path / name).mkdir()
        else:
            (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_task(str(tmp_path))
    assert "\n" not in str(caught.value)


def test_an_unknown_task_name_is_refused_with_the_names_it_could_be():
    with pytest.raises(ConfigError, match="neither simple, medium, complex nor a task"):
        load_task("nonexistent-task")


def test_the_scripts_are_valid_json_with_the_workspace_placeholder():
    for name in BUILTIN_TASKS:
        text = load_task(name).script_path.read_text()
        assert "@WORKDIR@" in text and json.loads(text)["turns"]
