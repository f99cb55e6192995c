"""Helpers shared by CLI commands: JSON output, the console, common flags."""

from __future__ import annotations

import argparse
import sys

from pydantic import BaseModel


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print the result model as JSON on stdout"
    )


def emit_json(result: BaseModel) -> None:
    sys.stdout.write(result.model_dump_json(indent=2, by_alias=True) + "\n")


def console(stderr: bool = False):
    """A rich console; progress and tables go to stderr when stdout carries JSON."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)
