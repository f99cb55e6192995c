"""argparse flags built from a tool's Options model (the same fields the MCP server exposes).

Each field becomes ``--name-with-dashes`` (or a positional argument, or extra spellings such as
``-n``), with its description, unit and default as help. Values are validated by the Options
model itself, so a bad value is one sentence naming the flag (exit 2).
"""

from __future__ import annotations

import argparse
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel

from sre_latency.tools.options import build, face_of, fields_for


def _base(annotation: Any) -> Any:
    """``int | None`` → ``int``; other types unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _help(info: Any) -> str:
    """The description with its default (0 is a default too; an unset option says so)."""
    text = info.description or ""
    default = info.default
    if info.default_factory is not None:
        default = info.default_factory()
        default = ",".join(default) if isinstance(default, list) and default else None
    if "default" not in text.lower() and default is not False:
        shown = "none" if default is None or default == "" else default
        text += f" (default: {shown})"
    return text.replace("%", "%%")


def add_options(parser: argparse.ArgumentParser, options: type[BaseModel]) -> None:
    """One argparse argument per CLI-face field of ``options``."""
    names = fields_for(options, "cli")
    names.sort(key=lambda n: n.startswith("emulator_"))  # the emulator's knobs last
    for name in names:
        info = options.model_fields[name]
        face = face_of(options, name)
        base = _base(info.annotation)
        kwargs: dict[str, Any] = {"help": _help(info), "default": None}
        if typing.get_origin(base) is Literal:
            kwargs["choices"] = [str(c) for c in typing.get_args(base)]
        if face.metavar:
            kwargs["metavar"] = face.metavar
        if face.positional:
            kwargs["nargs"] = "*" if typing.get_origin(base) is list else "?"
            parser.add_argument(name, **kwargs)
            continue
        flags = list(face.flags)
        if f"-{name}" not in flags:
            flags.append("--" + name.replace("_", "-"))
        if base is bool:
            kwargs.pop("default")
            parser.add_argument(*flags, dest=name, action="store_true", default=None, **kwargs)
        elif typing.get_origin(base) is list:
            action = "append" if face.repeat else "store"
            parser.add_argument(*flags, dest=name, action=action, **kwargs)
        else:
            if base in (int, float):
                kwargs["type"] = base
            parser.add_argument(*flags, dest=name, **kwargs)


def options_from_args(args: argparse.Namespace, options: type[BaseModel]) -> Any:
    """The Options model from parsed arguments (flags not given keep the model's defaults)."""
    values = {}
    for name in fields_for(options, "cli"):
        value = getattr(args, name, None)
        if value is None or value == []:
            continue
        values[name] = value
    return build(options, values, face="cli")  # type: ignore[arg-type]
