"""The Claude Code plugin: manifest, hooks, MCP config, slash commands, skill."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / ".claude-plugin" / "plugin.json"
COMMANDS = sorted((REPO / "commands").glob("*.md"))
TOOL_PREFIX = "mcp__plugin_sre-latency_sre-latency__"


def _frontmatter(path: Path) -> tuple[dict[str, str], str]:
    text = path.read_text()
    match = re.match(r"---\n(.*?)\n---\n(.*)", text, re.S)
    assert match, f"{path.name} has no frontmatter"
    fields = {}
    for line in match.group(1).splitlines():
        key, _, value = line.partition(": ")
        fields[key] = json.loads(value) if value.startswith('"') else value
    return fields, match.group(2)


def _server_tools() -> set[str]:
    from sre_latency.server import build_server

    return {tool.name for tool in asyncio.run(build_server().list_tools())}


def test_manifest_names_the_plugin_and_points_at_files_that_exist():
    manifest = json.loads(MANIFEST.read_text())
    assert manifest["name"] == "sre-latency"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    for key in ("hooks", "mcpServers"):
        assert (REPO / manifest[key]).is_file(), key


def test_mcp_config_runs_sre_latency_serve():
    config = json.loads((REPO / "claude_config" / "mcp.json").read_text())
    assert config["mcpServers"]["sre-latency"] == {"command": "sre-latency", "args": ["serve"]}


def test_there_is_one_slash_command_per_tool():
    names = {p.stem for p in COMMANDS}
    assert names == {"benchmark", "latency-check", "grade", "compare", "report",
                     "tool-timings", "latency-budget", "monitor-status",
                     "session-benchmark", "capacity"}  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=lambda p: p.stem)
def test_each_slash_command_calls_the_mcp_tool_of_the_same_name(command):
    fields, body = _frontmatter(command)
    tool = command.stem.replace("-", "_")
    assert fields["description"]
    assert fields["allowed-tools"] == TOOL_PREFIX + tool
    assert f"`{TOOL_PREFIX}{tool}`" in body and "$ARGUMENTS" in body
    assert tool in _server_tools(), f"the MCP server does not register {tool}"


def _schema_names(schema, found: set[str]) -> set[str]:
    """Every property name anywhere in a JSON schema (nested models included)."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                found.update(value)
            _schema_names(value, found)
    elif isinstance(schema, list):
        for value in schema:
            _schema_names(value, found)
    return found


@pytest.mark.parametrize("command", COMMANDS, ids=lambda p: p.stem)
def test_each_slash_command_names_only_real_parameters_and_result_fields(command):
    from sre_latency.server import build_server

    tools = {t.name: t for t in asyncio.run(build_server().list_tools())}
    tool = tools[command.stem.replace("-", "_")]
    params = set(tool.input_schema["properties"])
    fields = _schema_names(tool.output_schema or {}, set())
    text = command.read_text()
    assert set(re.findall(r"\b([a-z_]+)=", text)) <= params  # `n=…`, `latest=N`: arguments
    values = {"anthropic", "bedrock", "openai", "all"}  # provider names the commands mention
    named = set(re.findall(r"`([a-z][a-z0-9_]*)`", text))
    assert named <= params | fields | values


def test_skill_has_frontmatter_that_triggers_on_latency_talk_and_names_the_tools():
    fields, body = _frontmatter(REPO / "skills" / "latency-advisor" / "SKILL.md")
    assert fields["name"] == "latency-advisor"
    for trigger in ("slow", "Bedrock", "TTFT", "throughput", "SLO"):
        assert trigger in fields["description"]
    for tool in ("latency_check", "benchmark", "tool_timings"):
        assert tool in body
    assert "needs measuring" in body


def test_settings_example_registers_the_same_hooks_and_the_statusline():
    example = json.loads((REPO / "claude_config" / "settings.example.json").read_text())
    plugin_hooks = json.loads((REPO / "claude_config" / "hooks.json").read_text())["hooks"]
    assert set(example["hooks"]) == set(plugin_hooks)
    commands = {h["command"] for entries in example["hooks"].values() for e in entries
                for h in e["hooks"]}  # fmt: skip
    assert len(commands) == 1 and commands.pop().endswith("claude_config/sre-latency-hook")
    assert example["statusLine"]["command"].endswith("claude_config/statusline")
