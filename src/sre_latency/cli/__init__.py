"""The ``sre-latency`` command line."""

from sre_latency.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
