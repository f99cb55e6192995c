"""The ``sre-latency`` command line: a thin layer over the plain functions in ``tools/``.

Each command lives in ``sre_latency.cli.commands.<name>`` and exposes ``register(subparsers)``, which
adds its parser and sets ``handler`` to a function ``(args) -> int``. Command modules import only
argparse-level things at the top, so ``--help`` and start-up stay fast.

Exit codes: 0 done, 1 done but a gate failed or every request failed, 2 bad usage, bad input or
missing credentials.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from sre_latency import __version__

COMMAND_MODULES = (
    "benchmark",
    "latency_check",
    "grade",
    "compare",
    "report",
    "latency_budget",
    "tool_timings",
    "session_benchmark",
    "emulate",
    "serve",
    "install_statusline",
)

EXIT_OK, EXIT_GATE_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence, exit 2 (argparse's own contract)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sre-latency",
        description="Measure, compare and grade Claude latency on the Anthropic API, AWS Bedrock "
        "and compatible gateways, and see where time goes inside Claude Code sessions.",
    )
    parser.add_argument("--version", action="version", version=f"sre-latency {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"sre_latency.cli.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"sre_latency.cli.commands.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from sre_latency.errors import LatencyError

    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(handler(args) or 0)
    except LatencyError as exc:
        from sre_latency.errors import ConfigError, StoreError

        print(f"sre-latency: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigError | StoreError) else EXIT_GATE_FAILED
    except KeyboardInterrupt:
        print("sre-latency: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
