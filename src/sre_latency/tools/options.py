"""How an option is declared: once, as a pydantic field, for both the CLI and the MCP server.

Each tool's ``Options`` model lists its knobs as fields with a description and bounds; the CLI
builds its argparse flags from those fields and the server builds its tool parameters from
them, so the two faces cannot drift. ``Face`` (in the field's ``Annotated`` metadata) says what
a face needs beyond the field itself: a short CLI flag or a positional argument, a tighter
bound for an agent (an MCP call should not start a 100,000-request run), or that an option
exists on one face only (with the reason, e.g. a CLI exit-code gate).

A list option (``providers``) is a comma-separated string on the CLI and a list or a string
over MCP; ``split_list`` normalises both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from sre_latency.errors import ConfigError

FaceName = Literal["cli", "mcp"]


@dataclass(frozen=True)
class Face:
    """Per-face details of one option (see the module docstring)."""

    flags: tuple[str, ...] = ()  # extra CLI spellings, e.g. ("-n",) or ("-o",)
    positional: bool = False  # a CLI positional argument (e.g. the run to read)
    metavar: str | None = None
    agent_le: float | None = None  # MCP upper bound (the CLI keeps the field's own)
    agent_ge: float | None = None
    agent_max_length: int | None = None
    only: FaceName | None = None  # the option exists on this face only
    why_only: str = ""  # why (shown by the surface test)
    repeat: bool = False  # CLI: the flag is repeatable (appends), not a comma list


class Options(BaseModel):
    """Base of every tool's options: unknown names are refused, values validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_default=False)


def face_of(options: type[BaseModel], name: str) -> Face:
    for item in options.model_fields[name].metadata:
        if isinstance(item, Face):
            return item
    return Face()


def fields_for(options: type[BaseModel], face: FaceName) -> list[str]:
    """The option names ``face`` shows, in declaration order."""
    return [n for n in options.model_fields if face_of(options, n).only in (None, face)]


def split_list(value: str | Sequence[str] | None, what: str | None = None) -> list[str]:
    """``"a,b"`` or ``["a", "b,c"]`` → ``["a", "b", "c"]``, blanks and duplicates dropped.

    With ``what`` (e.g. "provider"), a value given but naming nothing (``","``) is refused
    rather than read as "not given", which would silently fall back to the default.
    """
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        for part in str(item).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    if what and not out and any(str(item) for item in items):
        raise ValueError(f"names no {what} (got {value!r})")
    return out


def option_label(name: str, face: FaceName, options: type[BaseModel] | None = None) -> str:
    """How a face names an option in a sentence: ``--max-tokens`` or ``max_tokens``."""
    if face == "mcp":
        return name
    if options is not None:
        f = face_of(options, name)
        if f.positional:
            return name.upper()
        short = [s for s in f.flags if not s.startswith("--")]
        if short:
            return short[0]
    return "--" + name.replace("_", "-")


def build(options: type[Options], values: dict[str, Any], face: FaceName = "cli") -> Any:
    """``options(**values)``; a bad value is a ConfigError naming the flag or parameter."""
    try:
        return options(**values)
    except ValidationError as exc:
        raise bad_option(exc, face, options) from None


_PLAIN = {
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "literal_error": "must be {expected}",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
    "too_long": "takes at most {max_length} values",
    "extra_forbidden": "is not an option of this tool",
}


def bad_option(exc: ValidationError, face: FaceName, options: type[BaseModel]) -> ConfigError:
    """The first complaint as one sentence: ``bad --max-tokens: must be at least 1 (got 0).``"""
    err = exc.errors()[0]
    loc = err.get("loc") or ()
    where = option_label(str(loc[0]), face, options) if loc else "an option"
    template = _PLAIN.get(err.get("type", ""))
    if template is not None:
        msg = template.format(**(err.get("ctx") or {}))
        if err.get("type") != "extra_forbidden":
            msg += f" (got {err.get('input')!r:.60})"
    else:
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ").rstrip(".")
    return ConfigError(f"bad {where}: {msg}.")
