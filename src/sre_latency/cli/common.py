"""Helpers shared by CLI commands: JSON output, the console, common flags."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from pydantic import ValidationError

    from sre_latency.errors import ConfigError


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print the result model as JSON on stdout"
    )


def add_run_argument(parser: argparse.ArgumentParser) -> None:
    """The optional positional run that the commands reading one saved run accept."""
    parser.add_argument(
        "run",
        nargs="?",
        help="run id, file name under the results root, or path (default: the latest run)",
    )


def bad_flag(exc: ValidationError) -> ConfigError:
    """The options model's first complaint as one sentence naming the flag (CLI exit 2)."""
    from sre_latency.errors import ConfigError

    err = exc.errors()[0]
    flag = "--" + str(err["loc"][0]).replace("_", "-") if err.get("loc") else "a flag"
    return ConfigError(f"bad {flag}: {err['msg']}.")


def emit_json(result: BaseModel) -> None:
    sys.stdout.write(result.model_dump_json(indent=2, by_alias=True) + "\n")


def console(stderr: bool = False):
    """A rich console; progress and tables go to stderr when stdout carries JSON."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)
