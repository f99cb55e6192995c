"""The tools as the CLI calls them: options by name (paths as text), checked by the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sre_latency.tools.options import build


def _text(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in values.items() if v is not None}


def report(run, **options):
    from sre_latency.tools import report as tool

    return tool.run(build(tool.OPTIONS, _text({"run": run, **options})))


def tool_timings(log_path=None, **options):
    from sre_latency.tools import tool_timings as tool

    return tool.run(build(tool.OPTIONS, _text({"log": log_path, **options})))


def compare(**options):
    from sre_latency.tools import compare as tool

    if "runs" in options:
        options["runs"] = [str(r) for r in options["runs"]]
    return tool.run(build(tool.OPTIONS, _text(options)))
