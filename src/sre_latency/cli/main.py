"""The ``sre-latency`` command line: one loop over the tool catalogue, thin over ``tools/``.

Each tool's flags come from its Options model (``cli.options``), its output from its renderer
(``cli.render.<tool>``), and its exit code from the same renderer. ``serve`` starts the MCP
server through its entry point, so the two faces stay independent of each other.

Exit codes: 0 done, 1 done but a gate failed or every request failed, 2 bad usage, bad input or
missing credentials, 130 interrupted (the run is saved with every finished sample).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from typing import Any

from sre_latency.core.version import __version__
from sre_latency.tools import ToolSpec, for_face

EXIT_OK, EXIT_GATE_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
SERVE_ENTRY = "sre_latency.server:serve"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence, exit 2 (argparse's own contract)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, the other commands get no options (start-up stays cheap:
    ``sre-latency serve`` never imports a tool module)."""
    parser = _Parser(
        prog="sre-latency",
        description="Measure, compare and grade Claude latency on the Anthropic API, AWS Bedrock "
        "and compatible gateways, and see where time goes inside Claude Code sessions.",
    )
    parser.add_argument("--version", action="version", version=f"sre-latency {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for spec in for_face("cli"):
        chosen = only in (None, spec.command)
        module = spec.module if chosen else None
        p = sub.add_parser(
            spec.command, help=spec.summary.replace("%", "%%"),
            description=module.DESCRIPTION if module is not None else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )  # fmt: skip
        if module is None:
            continue
        from sre_latency.cli.options import add_options

        add_options(p, module.OPTIONS)
        if spec.name != "emulate":
            p.add_argument("--json", action="store_true", help="print the result model as JSON")
        p.set_defaults(handler=lambda args, spec=spec: run_tool(spec, args))
    _add_serve(sub)
    return parser


def _add_serve(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="run the MCP server over stdio (for Claude Code and other MCP clients)",
        description=SERVE_DESCRIPTION,
        epilog=SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                   help="stderr log level (default WARNING)")  # fmt: skip

    def serve(args: argparse.Namespace) -> int:
        module, _, name = SERVE_ENTRY.partition(":")
        getattr(importlib.import_module(module), name)(log_level=args.log_level)
        return EXIT_OK

    p.set_defaults(handler=serve)


def run_tool(spec: ToolSpec, args: argparse.Namespace) -> int:
    """Build the options, run the tool (with a progress bar for long runs), render, exit."""
    from sre_latency.cli.common import console, emit_json
    from sre_latency.cli.options import options_from_args
    from sre_latency.cli.progress import Interrupts, run_async

    module = spec.module
    render = importlib.import_module(f"sre_latency.cli.render.{spec.name}")
    opts = options_from_args(args, module.OPTIONS)
    saved = getattr(module, "saved", None)
    result = saved(opts) if saved is not None else None
    if result is None and spec.long_run:
        with Interrupts() as interrupts:
            result = run_async(_measure(spec, module, opts, interrupts), interrupts)
    elif result is None:
        result = module.run(opts)
        if inspect.isawaitable(result):
            with Interrupts() as interrupts:
                result = run_async(result, interrupts)
    if getattr(args, "json", False):
        emit_json(result)
    else:
        render.render(console(), result)
    return render.exit_code(result, opts)


class Interrupted(Exception):
    """A measurement stopped by Ctrl-C or SIGTERM; the message says where its samples are."""


async def _measure(spec: ToolSpec, module: Any, opts: Any, interrupts: Any) -> Any:
    import asyncio

    from sre_latency.cli.progress import RunBar
    from sre_latency.errors import StoreError
    from sre_latency.tools.runs import tracker_for

    tracker = tracker_for(module, opts)
    handle = await module.start(opts, tracker)
    interrupts.stop_with(handle.cancel)  # from now on an interrupt stops the run, which saves
    bar = RunBar(tracker, enabled=sys.stderr.isatty())
    try:
        with bar.running(f"{spec.command} {handle.run_id}", handle.progress()[1]):
            run = await handle.wait()
    except asyncio.CancelledError:
        raise Interrupted(_kept(handle)) from None
    except StoreError as exc:  # the run file could not be written: the journal holds it all
        if interrupts.count:
            raise Interrupted(f"interrupted; {exc}") from None
        raise
    if interrupts.count:
        raise Interrupted(_kept(handle))
    return module.finish(run, handle.location, *handle.progress())


def _kept(handle: Any) -> str:
    done, planned = handle.progress()
    return f"interrupted; kept {done} of {planned} samples in {handle.location}"


def main(argv: list[str] | None = None) -> int:
    from sre_latency.errors import ConfigError, LatencyError, StoreError, clip_names, file_error

    args_list = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(only=command)
    args = parser.parse_args(args_list)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(handler(args) or 0)
    except Interrupted as exc:
        print(f"sre-latency: {exc}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except LatencyError as exc:
        print(f"sre-latency: {clip_names(str(exc))}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigError | StoreError) else EXIT_GATE_FAILED
    except OSError as exc:  # a path the OS refuses (name too long, loop, no access)
        print(f"sre-latency: {file_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("sre-latency: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


SERVE_DESCRIPTION = """\
Run the sre-latency MCP server on stdin/stdout.

Tools: benchmark, latency_check, latency_budget, capacity, run_status (measuring; benchmark,
latency_check, latency_budget and capacity spend API credits unless emulate=true), grade,
compare, report (saved runs), tool_timings (Claude Code sessions), monitor_status (what the
monitor saw), session_benchmark (real Claude Code sessions per provider; spends credits unless
emulate=true). Resources: sre-latency://runs, sre-latency://runs/{run_id}.
"""
SERVE_EPILOG = """\
Add it to Claude Code:
  claude mcp add sre-latency -- sre-latency serve
  claude mcp add --scope user sre-latency -- sre-latency serve    # every project

Claude Desktop / any MCP client (mcpServers JSON):
  {"mcpServers": {"sre-latency": {"command": "sre-latency", "args": ["serve"]}}}

Debug it with the MCP Inspector:
  npx @modelcontextprotocol/inspector sre-latency serve

stdout carries the protocol; logs go to stderr. Results are stored under $SRE_LATENCY_HOME.
"""

if __name__ == "__main__":
    raise SystemExit(main())
