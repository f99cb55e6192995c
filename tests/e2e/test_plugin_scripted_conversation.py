"""Scripted conversations: the emulator plays the model for offline Claude Code rehearsals."""

from __future__ import annotations

import json

import anthropic
import pytest

from fixtures.claude_code.hook_replay import FIXTURES
from sre_latency.emulator.app import run_emulator_in_thread
from sre_latency.emulator.scripted import SCRIPT_FINISHED_TEXT, SIDE_REQUEST_TEXT, Script
from sre_latency.errors import ConfigError

TOOLS = [{"name": "Bash", "description": "run", "input_schema": {"type": "object"}}]


def _script(tmp_path, turns) -> Script:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(turns))
    return Script.load(path)


def test_the_turn_is_chosen_by_counting_assistant_turns_in_a_real_claude_code_request():
    script = Script.load(FIXTURES / "session_script.json")
    body = json.loads((FIXTURES / "claude_p_second_request_trimmed.json").read_text())
    assert [t["type"] for t in script.reply(body).content] == ["tool_use"]
    assert script.reply(body).content[0]["name"] == "Read"  # one assistant turn so far
    first = {**body, "messages": body["messages"][:2]}  # prompt and system note only
    turn = script.reply(first)
    assert [b["type"] for b in turn.content] == ["text", "tool_use"]
    assert turn.stop_reason == "tool_use"


def test_tool_use_ids_are_generated_unique_and_stable(tmp_path):
    script = _script(tmp_path, [
        [{"type": "tool_use", "name": "Bash", "input": {"command": "true"}},
         {"type": "tool_use", "name": "Read", "input": {}, "id": "toolu_mine"}],
        [{"type": "text", "text": "done"}],
    ])  # fmt: skip
    ids = [b["id"] for b in script.turns[0].content]
    assert ids[1] == "toolu_mine" and ids[0].startswith("toolu_") and len(set(ids)) == 2
    assert [b["id"] for b in _script(tmp_path, [script.turns[0].content]).turns[0].content] == ids
    assert script.turns[1].stop_reason == "end_turn"


def test_side_requests_get_a_short_text_and_do_not_use_up_a_turn(tmp_path):
    script = _script(tmp_path, [[{"type": "tool_use", "name": "Bash", "input": {}}]])
    title = {"max_tokens": 512, "messages": [{"role": "user", "content": "name this chat"}]}
    quota = {"max_tokens": 1, "tools": TOOLS, "messages": [{"role": "user", "content": "quota"}]}
    for body in (title, quota):
        turn = script.reply(body)
        assert (turn.content, turn.stop_reason) == ([{"type": "text", "text": SIDE_REQUEST_TEXT}],
                                                    "end_turn")  # fmt: skip
    real = {"max_tokens": 1024, "tools": TOOLS, "messages": [{"role": "user", "content": "go"}]}
    assert script.reply(real).stop_reason == "tool_use"


def test_a_request_past_the_last_turn_ends_the_conversation(tmp_path):
    script = _script(tmp_path, [[{"type": "text", "text": "only turn"}]])
    body = {"max_tokens": 10, "tools": TOOLS, "messages": [
        {"role": "user", "content": "a"}, {"role": "assistant", "content": "only turn"},
        {"role": "user", "content": "b"}]}  # fmt: skip
    assert script.reply(body).content[0]["text"] == SCRIPT_FINISHED_TEXT


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "non-empty JSON list of turns"),
        ('[[{"type": "image"}]]', "type must be 'text' or 'tool_use'"),
        ('[[{"type": "tool_use", "input": {}}]]', "needs a 'name'"),
        ('[[{"type": "tool_use", "name": "Bash", "input": [1]}]]', "must be a JSON object"),
        ('[{"content": [{"type": "text", "text": "x"}], "stop_reason": "nope"}]', "stop_reason"),
        ('[[{"type": "text"}]]', "needs a string 'text'"),
    ],
)
def test_an_invalid_script_is_refused_with_one_sentence(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        Script.load(path)
    assert "\n" not in str(info.value)


def test_a_missing_script_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        Script.load(tmp_path / "absent.json")


def test_the_official_sdk_plays_the_script_through_the_emulator(tmp_path):
    script = _script(tmp_path, [
        [{"type": "text", "text": "Checking."},
         {"type": "tool_use", "name": "Bash", "input": {"command": "echo hi"}}],
        [{"type": "text", "text": "All done."}],
    ])  # fmt: skip
    with run_emulator_in_thread(script=script, ttft_ms=1, itl_ms=0) as emulator:
        client = anthropic.Anthropic(base_url=emulator.base_url, api_key="dummy", max_retries=0)
        messages = [{"role": "user", "content": "run it"}]
        with client.messages.stream(model="claude-haiku-4-5", max_tokens=256, tools=TOOLS,
                                    messages=messages) as stream:  # fmt: skip
            first = stream.get_final_message()
        assert first.stop_reason == "tool_use"
        tool_use = first.content[1]
        assert (tool_use.name, tool_use.input) == ("Bash", {"command": "echo hi"})
        messages += [
            {"role": "assistant", "content": [b.model_dump() for b in first.content]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id,
                                          "content": "hi"}]},
        ]  # fmt: skip
        second = client.messages.create(model="claude-haiku-4-5", max_tokens=256, tools=TOOLS,
                                        messages=messages)  # fmt: skip
        client.close()
    assert second.stop_reason == "end_turn"
    assert second.content[0].text == "All done."
