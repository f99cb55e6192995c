"""The coding tasks a session benchmark gives Claude Code (docs/session-benchmark.md#tasks).

A task is a directory::

    task.toml     prompt (required), description, allowed_tools, check, max_session_s
    repo/         the repository each session starts from (copied fresh for every session)
    check.py      anything the check needs (outside repo/, so the session cannot see it)
    script.json   optional: the scripted conversation ``--emulate`` plays (``@WORKDIR@`` is
                  replaced by the session's workspace)

``check`` is an argument list run in the workspace after the session, with ``{python}`` (this
interpreter) and ``{task_dir}`` substituted; exit status 0 means the task was done. Three tasks
ship with the package (``simple``, ``medium``, ``complex``); any other name is a path.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sre_latency.errors import ConfigError

BUILTIN_DIR = Path(__file__).with_name("tasks")
BUILTIN_TASKS = ("simple", "medium", "complex")
DEFAULT_TOOLS = ("Bash", "Read", "Write", "Edit", "Glob", "Grep")
DEFAULT_CHECK = ("{python}", "{task_dir}/check.py")
WORKDIR_MARK = "@WORKDIR@"


@dataclass(frozen=True)
class Task:
    name: str
    path: Path
    prompt: str
    description: str
    allowed_tools: tuple[str, ...]
    check: tuple[str, ...]
    max_session_s: float | None
    builtin: bool

    @property
    def repo(self) -> Path:
        return self.path / "repo"

    @property
    def script_path(self) -> Path:
        return self.path / "script.json"

    def check_argv(self, python: str) -> list[str]:
        return [a.replace("{python}", python).replace("{task_dir}", str(self.path))
                for a in self.check]  # fmt: skip

    def script_data(self, workdir: Path) -> Any:
        """The scripted conversation with ``@WORKDIR@`` replaced; ConfigError when absent."""
        if not self.script_path.is_file():
            raise ConfigError(
                f"task {self.name} has no script.json, so --emulate cannot play it; add one "
                "(docs/session-benchmark.md#tasks) or measure real providers."
            )
        try:
            text = self.script_path.read_text(encoding="utf-8")
            return json.loads(text.replace(WORKDIR_MARK, str(workdir)))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{self.script_path} is not a readable JSON script: {exc}.") from None


def load_task(ref: str) -> Task:
    """The task ``ref`` names: a built-in name, or a task directory."""
    if ref in BUILTIN_TASKS:
        return _read(BUILTIN_DIR / ref, ref, builtin=True)
    path = Path(ref).expanduser()
    if not path.is_dir():
        raise ConfigError(
            f"task {ref!r:.200} is neither {', '.join(BUILTIN_TASKS)} nor a task directory."
        )
    return _read(path.resolve(), path.name, builtin=False)


def _read(path: Path, name: str, builtin: bool) -> Task:
    spec_file = path / "task.toml"
    try:
        spec = tomllib.loads(spec_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} is not a task: it has no task.toml.") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{spec_file} cannot be read: {exc}.") from None
    if not (path / "repo").is_dir():
        raise ConfigError(f"{path} is not a task: it has no repo/ directory.")
    prompt = spec.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ConfigError(f"{spec_file} needs a prompt (a non-empty string).")
    return Task(
        name=name,
        path=path,
        prompt=prompt.strip(),
        description=str(spec.get("description", "")),
        allowed_tools=_strings(spec, "allowed_tools", DEFAULT_TOOLS, spec_file),
        check=_strings(spec, "check", DEFAULT_CHECK, spec_file),
        max_session_s=_seconds(spec.get("max_session_s"), spec_file),
        builtin=builtin,
    )


def _strings(spec: dict, key: str, default: tuple[str, ...], where: Path) -> tuple[str, ...]:
    value = spec.get(key, list(default))
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a non-empty list of strings.")
    return tuple(value)


def _seconds(value: Any, where: Path) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{where}: max_session_s must be a positive number of seconds.")
    return float(value)
