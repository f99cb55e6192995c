"""Helpers shared by the CLI: JSON output and the console."""

from __future__ import annotations

import sys

from pydantic import BaseModel


def emit_json(result: BaseModel) -> None:
    sys.stdout.write(result.model_dump_json(indent=2, by_alias=True) + "\n")


def console(stderr: bool = False):
    """A rich console; progress and tables go to stderr when stdout carries JSON."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)
