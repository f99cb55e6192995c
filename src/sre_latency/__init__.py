"""sre-latency: measure, compare and grade Claude latency across providers and inside Claude Code.

The public API: the tools (each with its options and result models), the data contract
(``Run``, ``Sample``), the store (``open_store``) and the exception tree. Names load on first
use, so ``import sre_latency`` stays cheap (the hook, the statusline and the MCP server's
start-up never pay for numpy or an HTTP client)::

    import asyncio
    import sre_latency as sl

    result = asyncio.run(sl.run_benchmark(sl.BenchmarkOptions(emulate=True, n=5)))
    print(sl.grade(sl.GradeOptions(run=result.run_id)).summary)
"""

from __future__ import annotations

import importlib
from typing import Any

from sre_latency.core.version import __version__ as __version__

_EXPORTS: dict[str, str] = {
    # the exception tree
    "LatencyError": "sre_latency.errors",
    "ConfigError": "sre_latency.errors",
    "CredentialsError": "sre_latency.errors",
    "StoreError": "sre_latency.errors",
    # the data contract
    "Run": "sre_latency.core.contract",
    "Sample": "sre_latency.core.contract",
    "SampleError": "sre_latency.core.contract",
    "Summary": "sre_latency.core.contract",
    "ProviderResult": "sre_latency.core.contract",
    # the store
    "open_store": "sre_latency.store",
    "RunStore": "sre_latency.store",
    # the tools
    "BenchmarkOptions": "sre_latency.tools.benchmark",
    "BenchmarkResult": "sre_latency.tools.benchmark",
    "start_benchmark": "sre_latency.tools.benchmark",
    "run_benchmark": "sre_latency.tools.benchmark",
    "LatencyCheckOptions": "sre_latency.tools.latency_check",
    "LatencyCheckResult": "sre_latency.tools.latency_check",
    "latency_check": "sre_latency.tools.latency_check",
    "LatencyBudgetOptions": "sre_latency.tools.latency_budget",
    "LatencyBudgetResult": "sre_latency.analysis.budget",
    "start_latency_budget": "sre_latency.tools.latency_budget",
    "GradeOptions": "sre_latency.tools.grade",
    "GradeResult": "sre_latency.analysis.grade",
    "CompareOptions": "sre_latency.tools.compare",
    "CompareResult": "sre_latency.analysis.compare",
    "ReportOptions": "sre_latency.tools.report",
    "ReportResult": "sre_latency.analysis.report.models",
    "ToolTimingsOptions": "sre_latency.tools.tool_timings",
    "ToolTimingsResult": "sre_latency.claude_code.timings",
    "RunHandle": "sre_latency.probe.handle",
    "CATALOGUE": "sre_latency.tools",
}
_FUNCTIONS = {"grade": "sre_latency.tools.grade", "compare": "sre_latency.tools.compare",
              "report": "sre_latency.tools.report", "tool_timings": "sre_latency.tools.tool_timings"}  # fmt: skip
__all__ = sorted(["__version__", *_EXPORTS, *_FUNCTIONS])


def __getattr__(name: str) -> Any:
    if name in _FUNCTIONS:  # the quick tools: ``sre_latency.grade(GradeOptions(...))``
        return importlib.import_module(_FUNCTIONS[name]).run
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sre_latency' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
