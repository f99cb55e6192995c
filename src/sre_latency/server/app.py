"""The MCP stdio server: one loop over the tool catalogue, and the runs resources.

Every tool is generated from its catalogue entry (``server.tools``): parameters from its Options
model, description from the tool module, output schema from its result model. Measuring tools
run one at a time; long runs answer at ``max_seconds`` and go on in the ``RunManager``.
Expected failures (``LatencyError``) become a ``ToolError`` with the same sentence; anything else
is logged to stderr by the SDK, and the model sees only "Error executing tool …".

Start-up costs little more than importing the MCP SDK: tool modules (numpy, HTTP clients,
botocore) load when the tools are first listed or called (``server.lazy``).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import ToolAnnotations

from sre_latency.core.version import __version__
from sre_latency.errors import LatencyError
from sre_latency.server.lazy import LazyOutputServer
from sre_latency.server.runs import RunManager
from sre_latency.server.tools import (
    MaxSeconds,
    for_tool_caller,
    given,
    parameters,
    refuse_oversized,
    tool_errors,
    with_signature,
)
from sre_latency.tools import ToolSpec, for_face

RUN_STATUS = "sre_latency.tools.run_status:RunStatus"
INSTRUCTIONS = """\
sre-latency measures the latency of Claude models on the Anthropic API, AWS Bedrock and
OpenAI-compatible gateways, and where time goes inside Claude Code sessions. Measure first
(latency_check for a quick look, benchmark for figures worth quoting, capacity for the highest
request rate an SLO survives), then grade, compare or report on the saved runs. benchmark,
latency_check, latency_budget and capacity spend API credits unless emulate=true. Long runs continue in the background after max_seconds; follow them with run_status.
"""
ANNOTATIONS = {
    "measures": ToolAnnotations(read_only_hint=False, destructive_hint=False,
                                idempotent_hint=False, open_world_hint=True),
    "reads": ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                             open_world_hint=False),
    "writes": ToolAnnotations(read_only_hint=False, destructive_hint=False,
                              idempotent_hint=False, open_world_hint=False),
}  # fmt: skip


def _store():
    from sre_latency.tools.runs import open_store

    return open_store()  # reads $SRE_LATENCY_HOME / $SRE_LATENCY_STORE at each call


def tool_function(spec: ToolSpec, manager: RunManager) -> Any:
    """The MCP function of one catalogue entry, with its generated signature."""
    module = spec.module
    params = parameters(module.OPTIONS)
    if spec.long_run:
        params.append(inspect.Parameter("max_seconds", inspect.Parameter.KEYWORD_ONLY,
                                        default=45.0, annotation=MaxSeconds))  # fmt: skip

    async def call(ctx, **values):
        from sre_latency.tools.options import build

        refuse_oversized(values)
        max_seconds = values.pop("max_seconds", None)
        with tool_errors():
            opts = build(module.OPTIONS, given(values), face="mcp")
            store = _store()
            if spec.long_run:
                return await _long_run(spec, module, opts, store, manager, ctx, max_seconds)
            if spec.access == "measures":
                manager.refuse_if_busy()
            kwargs = {"live": manager} if spec.name == "run_status" else {}
            result = module.run(opts, store=store, confined=True, **kwargs)
            return await result if inspect.isawaitable(result) else result

    return with_signature(call, spec.name, params, module.DESCRIPTION)


async def _long_run(spec, module, opts, store, manager, ctx, max_seconds):
    from sre_latency.tools.run_status import saved_status
    from sre_latency.tools.runs import tracker_for

    saved = getattr(module, "saved", None)
    if saved is not None and (analysis := saved(opts, store=store, confined=True)) is not None:
        path = store.resolve(opts.run, confined=True)
        return saved_status(store.load_path(path), path, budget=analysis)
    manager.refuse_if_busy()
    tracker = tracker_for(module, opts)
    handle = await module.start(opts, tracker, store=store, confined=True)
    active = manager.adopt(handle, tracker)
    return await manager.follow(active, ctx.report_progress, max_seconds)


def build_server(log_level: str = "WARNING") -> MCPServer:
    """The sre-latency MCP server with every tool and resource registered."""
    manager = RunManager()

    @contextlib.asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[None]:
        try:
            yield
        finally:  # leaving: every run still going is stopped and saved with what it finished
            await manager.shutdown()

    server = LazyOutputServer(
        "sre-latency", title="sre-latency", instructions=INSTRUCTIONS, version=__version__,
        log_level=log_level, lifespan=lifespan,  # type: ignore[arg-type]
    )  # fmt: skip
    for spec in for_face("mcp"):
        result = RUN_STATUS if spec.long_run else None
        server.add_lazy_tool(
            spec.name,
            (lambda spec=spec: tool_function(spec, manager)),
            result,
            ANNOTATIONS[spec.access],
            spec.title,
        )
    _resources(server, manager)
    server.run_manager = manager  # type: ignore[attr-defined]  # for tests and diagnostics
    return server


def _resources(server: MCPServer, manager: RunManager) -> None:
    @server.resource(
        "sre-latency://runs",
        name="runs",
        description="Recent runs under the results root, newest first, one line each.",
        mime_type="text/plain",
    )
    def runs_resource() -> str:
        from sre_latency.tools.run_status import runs_listing

        return runs_listing(_store(), manager)

    @server.resource(
        "sre-latency://runs/{run_id}",
        name="run",
        description="One run: its progress while running, its figures once finished (JSON).",
        mime_type="application/json",
    )
    def run_resource(run_id: str) -> str:
        from sre_latency.tools.run_status import RunStatusOptions
        from sre_latency.tools.run_status import run as status_of

        try:
            status = status_of(
                RunStatusOptions(run=run_id), store=_store(), confined=True, live=manager
            )
        except LatencyError as exc:
            raise ResourceError(for_tool_caller(str(exc))) from None
        return status.model_dump_json(indent=1)


def serve(log_level: str = "WARNING") -> None:
    """Run the server on stdin/stdout until the client closes the connection."""
    build_server(log_level).run("stdio")
