"""Turn MCP tool parameters into the options of the plain tool functions.

The parameters mirror the CLI flags (``providers``, ``model``, ``n``, ``emulator_ttft_ms`` …);
what the CLI does with argparse (comma lists, ``--emulator-*`` only with ``--emulate``) is done
here, and an output name is checked to be a bare file name under the results root that does not
exist yet (the measuring tools add files, they never overwrite one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sre_latency.errors import ConfigError

EMULATOR_KNOBS = {  # MCP parameter → EmulatorProfile field (CLI: --emulator-ttft-ms …)
    "emulator_ttft_ms": "ttft_ms",
    "emulator_itl_ms": "itl_ms",
    "emulator_output_tokens": "output_tokens",
    "emulator_jitter_ms": "jitter_ms",
}


_FLAG = re.compile(r"--([a-z][a-z0-9-]*)")


def for_tool_caller(message: str) -> str:
    """Shared messages name CLI flags; a model calling a tool needs the parameter names."""
    message = message.replace("add --emulate", "set emulate=true").replace(
        "--emulate", "emulate=true"
    )
    return _FLAG.sub(lambda m: m.group(1).replace("-", "_"), message)


def split_names(value: str | Sequence[str] | None) -> list[str]:
    """``["anthropic", "bedrock"]`` from a list, or from ``"anthropic,bedrock"``."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def emulator_overrides(emulate: bool, knobs: dict[str, Any], faults: list[str] | None) -> dict:
    values = {EMULATOR_KNOBS[k]: v for k, v in knobs.items() if v is not None}
    if faults:
        values["faults"] = list(faults)
    if values and not emulate:
        raise ConfigError(
            "the emulator_* parameters only apply with emulate=true; drop them or set emulate."
        )
    return values


def new_run_file(name: str | None):
    """The run file for ``output`` (a bare file name), or None to let the store choose."""
    if name is None:
        return None
    from sre_latency.store import RunStore, journal_path
    from sre_latency.store.resolve import run_output

    path = run_output(RunStore(), name)
    if path is not None and (path.exists() or journal_path(path).exists()):
        raise ConfigError(f"{path.name} already exists under {path.parent}; choose another output.")
    return path


def benchmark_options(
    *,
    providers: str | Sequence[str] | None,
    model: str | Sequence[str] | None,
    output: str | None,
    emulate: bool,
    emulator_fault: list[str] | None = None,
    **values: Any,
):
    """``BenchmarkOptions`` from tool parameters; ConfigError with one sentence when wrong."""
    from sre_latency.tools.benchmark import BenchmarkOptions

    knobs = {k: values.pop(k) for k in list(values) if k in EMULATOR_KNOBS}
    emulator = emulator_overrides(emulate, knobs, emulator_fault)
    path = new_run_file(output)
    return _validated(
        lambda: BenchmarkOptions(
            providers=split_names(providers),
            models=split_names(model),
            emulate=emulate,
            output=path,
            emulator=emulator,
            **values,
        )
    )


def _validated(build):
    """Run ``build()``; a pydantic ValidationError becomes a ConfigError sentence."""
    from pydantic import ValidationError

    try:
        return build()
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ())) or "a parameter"
        raise ConfigError(f"bad {where}: {err['msg']}.") from None


def latency_check_options(
    *, model: str | Sequence[str] | None, emulate: bool, emulator_fault=None, **values: Any
):
    from sre_latency.tools.latency_check import LatencyCheckOptions

    knobs = {k: values.pop(k) for k in list(values) if k in EMULATOR_KNOBS}
    emulator = emulator_overrides(emulate, knobs, emulator_fault)
    return _validated(
        lambda: LatencyCheckOptions(
            models=split_names(model), emulate=emulate, emulator=emulator, **values
        )
    )


def latency_budget_options(
    *,
    providers: str | Sequence[str] | None,
    output: str | None,
    emulate: bool,
    emulator_fault=None,
    **values: Any,
):
    from sre_latency.analysis.budget import LatencyBudgetOptions

    knobs = {k: values.pop(k) for k in list(values) if k in EMULATOR_KNOBS}
    emulator = emulator_overrides(emulate, knobs, emulator_fault)
    path = new_run_file(output)
    return _validated(
        lambda: LatencyBudgetOptions(
            providers=split_names(providers) or None,
            emulate=emulate,
            output=path,
            emulator=emulator,
            **values,
        )
    )
