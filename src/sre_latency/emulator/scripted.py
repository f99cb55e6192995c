"""Scripted conversations: the emulator plays a fixed list of assistant turns as the model.

A script file is JSON: a list of turns (or ``{"turns": [...]}``). A turn is a list of content
blocks, or ``{"content": [...], "stop_reason": "..."}``. Blocks are ``{"type": "text", "text":
...}`` or ``{"type": "tool_use", "name": "Bash", "input": {...}}`` (an ``id`` is generated when
absent). The stop reason defaults to ``tool_use`` when the turn has a tool_use block, else
``end_turn``.

The reply is chosen from the request alone (stateless, so concurrent or repeated requests are
safe): the number of assistant turns already in ``messages`` is the index of the next turn.
Requests that are not part of the scripted conversation — no tools offered (title generation,
summaries) or a one-token quota probe — get a short text reply and do not use up a turn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sre_latency.errors import ConfigError

SIDE_REQUEST_TEXT = "OK."
SCRIPT_FINISHED_TEXT = "(The scripted conversation has no more turns.)"
STOP_REASONS = ("end_turn", "tool_use", "max_tokens", "stop_sequence", "pause_turn", "refusal")


@dataclass(frozen=True)
class ScriptedTurn:
    """One assistant reply: Anthropic content blocks (tool_use ids filled in) and a stop reason."""

    content: list[dict[str, Any]]
    stop_reason: str


@dataclass(frozen=True)
class Script:
    """A validated script; ``reply(body)`` maps a Messages request to the turn to play."""

    turns: tuple[ScriptedTurn, ...]

    @classmethod
    def load(cls, path: str | Path) -> Script:
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Script file {path} does not exist.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Script file {path} cannot be read: {exc}.") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"Script file {path} is not valid JSON (line {exc.lineno}: {exc.msg})."
            ) from None
        return cls.from_data(raw, source=str(path))

    @classmethod
    def from_data(cls, raw: Any, source: str = "script") -> Script:
        if isinstance(raw, dict) and "turns" in raw:
            raw = raw["turns"]
        if not isinstance(raw, list) or not raw:
            raise ConfigError(f"{source}: a script must be a non-empty JSON list of turns.")
        return cls(tuple(_parse_turn(turn, i, source) for i, turn in enumerate(raw)))

    def reply(self, request_body: dict[str, Any]) -> ScriptedTurn:
        """The turn to play for this request (see the module docstring for the rules)."""
        if _is_side_request(request_body):
            return ScriptedTurn([{"type": "text", "text": SIDE_REQUEST_TEXT}], "end_turn")
        index = count_assistant_turns(request_body.get("messages"))
        if index >= len(self.turns):
            return ScriptedTurn([{"type": "text", "text": SCRIPT_FINISHED_TEXT}], "end_turn")
        return self.turns[index]


def count_assistant_turns(messages: Any) -> int:
    """Assistant turns so far: runs of consecutive assistant messages count once."""
    if not isinstance(messages, list):
        return 0
    turns, previous = 0, None
    for message in messages:
        role = message.get("role") if isinstance(message, dict) else None
        if role == "assistant" and previous != "assistant":
            turns += 1
        if role in ("user", "assistant"):
            previous = role
    return turns


def _is_side_request(body: dict[str, Any]) -> bool:
    if body.get("max_tokens") == 1:
        return True  # quota / reachability probe
    tools = body.get("tools")
    return not (isinstance(tools, list) and tools)


def _parse_turn(turn: Any, index: int, source: str) -> ScriptedTurn:
    where = f"{source}: turn {index + 1}"
    stop_reason = None
    if isinstance(turn, dict):
        stop_reason = turn.get("stop_reason")
        turn = turn.get("content")
    if not isinstance(turn, list) or not turn:
        raise ConfigError(f"{where} must be a non-empty list of content blocks.")
    blocks = [_parse_block(block, index, j, where) for j, block in enumerate(turn)]
    has_tool = any(block["type"] == "tool_use" for block in blocks)
    if stop_reason is None:
        stop_reason = "tool_use" if has_tool else "end_turn"
    if stop_reason not in STOP_REASONS:
        raise ConfigError(f"{where} has stop_reason {stop_reason!r}; use one of {STOP_REASONS}.")
    return ScriptedTurn(blocks, stop_reason)


def _parse_block(block: Any, turn: int, position: int, where: str) -> dict[str, Any]:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "text":
        if not isinstance(block.get("text"), str):
            raise ConfigError(f"{where}, block {position + 1}: a text block needs a string 'text'.")
        return {"type": "text", "text": block["text"]}
    if kind == "tool_use":
        name, tool_input = block.get("name"), block.get("input", {})
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}, block {position + 1}: a tool_use block needs a 'name'.")
        if not isinstance(tool_input, dict):
            raise ConfigError(f"{where}, block {position + 1}: 'input' must be a JSON object.")
        block_id = block.get("id") or f"toolu_script_{turn + 1:02d}_{position + 1:02d}"
        return {"type": "tool_use", "id": str(block_id), "name": name, "input": tool_input}
    raise ConfigError(
        f"{where}, block {position + 1}: type must be 'text' or 'tool_use', not {kind!r}."
    )
