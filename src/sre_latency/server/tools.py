"""MCP tool functions generated from the tool catalogue: the signature is the Options model.

Each tool's parameters are its Options fields for the ``mcp`` face, with their descriptions and
bounds; ``Face.agent_*`` tightens a bound for an agent (a model should not start a
100,000-request run). A list option takes a list or a comma-separated string. Long runs gain
``max_seconds`` and answer with a ``RunStatus``.
"""

from __future__ import annotations

import contextlib
import inspect
import re
import typing
from collections.abc import Iterator
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from sre_latency.errors import LatencyError, clip_names, file_error

MAX_TEXT_CHARS = 4096  # a string parameter longer than this is refused before any work
MAX_LIST_ITEMS = 100  # so is a list parameter with more values (runs, providers, thresholds)
MaxSeconds = Annotated[
    float,
    Field(
        description="Answer after at most this many seconds with what has finished; the rest "
        "of the run goes on in the server (follow it with run_status). Keep it under the "
        "client's tool-call time limit.",
        ge=0,
        le=3600,
    ),
]
_FLAG = re.compile(r"--([a-z][a-z0-9-]*)")


def for_tool_caller(message: str) -> str:
    """Shared messages name CLI flags; a model calling a tool needs the parameter names."""
    message = (
        message.replace("`sre-latency benchmark --emulate`", "the benchmark tool with emulate=true")
        .replace("add --emulate", "set emulate=true")
        .replace("with --emulate", "with emulate=true")
    )
    return _FLAG.sub(lambda m: m.group(1).replace("-", "_"), message)


@contextlib.contextmanager
def tool_errors() -> Iterator[None]:
    """An expected failure becomes a ToolError carrying its one-sentence explanation."""
    try:
        yield
    except LatencyError as exc:
        raise ToolError(for_tool_caller(clip_names(str(exc)))) from None
    except OSError as exc:  # a path the OS refuses (name too long, loop, no access)
        raise ToolError(str(file_error(exc))) from None


def _bounds(info: Any, face: Any) -> dict[str, Any]:
    out = {}
    for meta in info.metadata:
        for key in ("ge", "gt", "le", "lt", "max_length"):
            if getattr(meta, key, None) is not None:
                out[key] = getattr(meta, key)
    if face.agent_le is not None:
        out["le"] = min(out.get("le", face.agent_le), face.agent_le)
    if face.agent_ge is not None:
        out["ge"] = max(out.get("ge", face.agent_ge), face.agent_ge)
    if face.agent_max_length is not None:
        out["max_length"] = face.agent_max_length
    return out


def _mcp_type(annotation: Any, bounded_list: bool) -> Any:
    """A list option takes a list, or a comma-separated string when its length is unbounded."""
    if typing.get_origin(annotation) is list:
        return annotation | None if bounded_list else annotation | str | None
    return annotation


def parameters(options: type) -> list[inspect.Parameter]:
    """The MCP parameters of ``options`` (keyword-only, ``Annotated[type, Field(...)]``)."""
    from sre_latency.tools.options import face_of, fields_for

    params = []
    for name in fields_for(options, "mcp"):
        info = options.model_fields[name]
        face = face_of(options, name)
        bounds = _bounds(info, face)
        annotation = _mcp_type(info.annotation, "max_length" in bounds or face.repeat)
        if typing.get_origin(annotation) is not list and annotation not in (str, str | None):
            bounds.pop("max_length", None)
        default = None if info.default_factory is not None else info.default
        field = Field(
            description=info.description[:1].upper() + info.description[1:] + ".", **bounds
        )
        kind = inspect.Parameter.KEYWORD_ONLY
        annotated = Annotated[annotation, field]
        params.append(inspect.Parameter(name, kind, default=default, annotation=annotated))
    return params


def refuse_oversized(values: dict[str, Any]) -> None:
    """A string (or list item) longer than ``MAX_TEXT_CHARS``, or a list longer than
    ``MAX_LIST_ITEMS``, is refused with one sentence before any work."""
    for name, value in values.items():
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_LIST_ITEMS:
            raise ToolError(
                f"{name} lists {len(items):,} values; at most {MAX_LIST_ITEMS} are accepted."
            )
        for item in items:
            if isinstance(item, str) and len(item) > MAX_TEXT_CHARS:
                raise ToolError(
                    f"{name} is {len(item):,} characters long; at most {MAX_TEXT_CHARS:,} are "
                    "accepted."
                )


def with_signature(fn: Any, name: str, params: list[inspect.Parameter], doc: str) -> Any:
    """Give ``fn`` the generated signature (the SDK builds the input schema from it)."""
    ctx = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)
    all_params = [ctx, *params]
    fn.__signature__ = inspect.Signature(all_params)
    fn.__annotations__ = {p.name: p.annotation for p in all_params}
    fn.__name__ = name
    fn.__doc__ = doc
    fn.__module_of_tool__ = f"sre_latency.tools.{name}"
    return fn


def given(values: dict[str, Any]) -> dict[str, Any]:
    """The parameters the caller set (None means: the option's own default)."""
    return {k: v for k, v in values.items() if v is not None}
