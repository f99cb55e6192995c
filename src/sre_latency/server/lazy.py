"""An MCPServer that builds its tools when they are first listed or called, not at start-up.

Start-up discipline: Claude Code waits for ``initialize`` at the start of every session, and that
answer needs no tool at all. Building a tool costs a pydantic model and a JSON schema of its
arguments, and its output schema needs the result model, which lives in a module that imports
numpy and the probe (about as long again as importing the MCP SDK). So each tool is recorded at
registration and built, with the SDK's own ``Tool.from_function`` and ``FuncMetadata``, the
first time any tool is listed, called or its input schema looked up.

Arguments that break the input schema (``n=0``, ``format="pdf"``) reach the model as one
sentence naming the parameter, not pydantic's multi-line report with its documentation link.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp.types import ToolAnnotations
from pydantic import ValidationError


@dataclass(frozen=True)
class _PendingTool:
    name: str
    factory: Callable[[], Any]  # builds the tool function (imports its module)
    result: str | None  # "module:Model"; None: the tool module's RESULT
    annotations: ToolAnnotations
    title: str


class LazyOutputServer(MCPServer):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._pending_tools: list[_PendingTool] = []

    def add_lazy_tool(
        self,
        name: str,
        factory: Callable[[], Any],
        result: str | None,
        annotations: ToolAnnotations,
        title: str,
    ) -> None:
        """Register the tool ``name``, built by ``factory()`` when first needed."""
        self._pending_tools.append(_PendingTool(name, factory, result, annotations, title))

    def build_tools(self) -> None:
        """Build every registered tool (once): arguments, description and output schema."""
        while self._pending_tools:
            pending = self._pending_tools.pop(0)
            fn = pending.factory()
            tool = self._tool_manager.add_tool(
                fn,
                name=pending.name,
                title=pending.title,
                description=inspect.cleandoc(fn.__doc__ or ""),
                annotations=pending.annotations,
                structured_output=False,
            )
            spec = pending.result or importlib.import_module(fn.__module_of_tool__).RESULT
            module, _, model_name = spec.partition(":")
            model = getattr(importlib.import_module(module), model_name)
            tool.fn_metadata = FuncMetadata(
                arg_model=tool.fn_metadata.arg_model, output_model=model
            )
            tool.__dict__.pop("output_schema", None)  # a cached_property, if read before

    async def list_tools(self):  # type: ignore[override]
        self.build_tools()
        return await super().list_tools()

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None):  # type: ignore[override]
        self.build_tools()
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if not isinstance(exc.__cause__, ValidationError):
                raise
            raise ToolError(
                f"Error executing tool {name}: {_bad_argument(exc.__cause__)}"
            ) from None

    def _tool_input_schema(self, name: str) -> dict[str, Any] | None:
        # The SDK looks a tool's input schema up before a call reaches call_tool.
        self.build_tools()
        return super()._tool_input_schema(name)


def _bad_argument(exc: ValidationError) -> str:
    """The first complaint about the arguments, as one sentence naming the parameter."""
    errors = exc.errors()
    err = errors[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "the arguments"
    got = "" if err["type"] == "missing" else f" (got {err.get('input')!r:.60})"
    more = f" ({len(errors) - 1} more problem(s) besides)" if len(errors) > 1 else ""
    return (
        f"bad {where}: {err['msg'].rstrip('.')}{got}{more}; fix it as the tool's input schema "
        "says and call again."
    )
