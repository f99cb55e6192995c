"""``sre-latency serve``: the MCP stdio server for Claude Code and any MCP client."""

from __future__ import annotations

import argparse

DESCRIPTION = """\
Run the sre-latency MCP server on stdin/stdout.

Tools: benchmark, latency_check, latency_budget, run_status (measuring; benchmark, latency_check
and latency_budget spend API credits unless emulate=true), grade, compare, report (saved runs),
tool_timings (Claude Code sessions). Resources: sre-latency://runs, sre-latency://runs/{run_id}.
"""

EPILOG = """\
Add it to Claude Code:
  claude mcp add sre-latency -- sre-latency serve
  claude mcp add --scope user sre-latency -- sre-latency serve    # every project

Claude Desktop / any MCP client (mcpServers JSON):
  {"mcpServers": {"sre-latency": {"command": "sre-latency", "args": ["serve"]}}}

Debug it with the MCP Inspector:
  npx @modelcontextprotocol/inspector sre-latency serve

stdout carries the protocol; logs go to stderr. Results are stored under $SRE_LATENCY_HOME.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run the MCP server over stdio (for Claude Code and other MCP clients)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="stderr log level (default WARNING)",
    )
    p.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    from sre_latency.server import serve

    serve(log_level=args.log_level)
    return 0
