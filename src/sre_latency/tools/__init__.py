"""The tools: one module per tool, each with its ``OPTIONS`` model, its ``RESULT`` model and its
function; ``CATALOGUE`` lists them, and both faces (the CLI and the MCP server) are built by one
loop over it.

A tool module defines ``OPTIONS`` (the options, declared once: see ``options.py``), ``RESULT``
(``"module:Model"``, loaded when the output schema is needed), ``DESCRIPTION`` (what the tool
does, for the model and for ``--help``) and either ``run(opts, *, store, confined)`` (sync or
async) or, for a measurement that may outlive one MCP call, ``start(opts, on_sample, *, store,
confined) -> RunHandle``, ``finish(run, location, finished, planned) -> result`` and
``planned_per_target(opts)``. ``confined`` is set by the MCP server: names given by a model
stay under the results root.
Modules load on first use: listing the catalogue imports nothing heavy.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

Access = Literal["measures", "reads", "writes", "local"]


@dataclass(frozen=True)
class ToolSpec:
    name: str  # the MCP tool name; the CLI command is the same with dashes
    title: str
    summary: str  # one line, for the CLI's list of commands
    access: Access  # measures: spends credits; reads: saved data only; writes: adds a file
    faces: tuple[str, ...] = ("cli", "mcp")
    long_run: bool = False  # start() returns a RunHandle; MCP answers at max_seconds

    @property
    def command(self) -> str:
        return self.name.replace("_", "-")

    @property
    def module(self) -> ModuleType:
        return importlib.import_module(f"sre_latency.tools.{self.name}")


CATALOGUE: tuple[ToolSpec, ...] = (
    ToolSpec("benchmark", "Benchmark Claude latency",
             "measure TTFT, total time, ITL and throughput of streamed requests per target",
             "measures", long_run=True),
    ToolSpec("latency_check", "Quick latency check",
             "one request per provider right now: TTFT, total time, connection set-up",
             "measures"),
    ToolSpec("latency_budget", "Latency budget per phase",
             "where each ms goes: DNS, connect, TLS, server wait, first token, generation",
             "measures", long_run=True),
    ToolSpec("capacity", "Capacity under an SLO",
             "the highest request rate (or concurrency) at which an SLO holds, with evidence",
             "measures", long_run=True),
    ToolSpec("run_status", "Status of a run",
             "progress of a run measuring in the background, or a saved run's summary",
             "reads", faces=("mcp",)),
    ToolSpec("grade", "Grade a run against SLOs",
             "grade a run against an SLO table (A–F), with thresholds and goodput", "reads"),
    ToolSpec("compare", "Compare runs",
             "compare runs: p50/p90/p99/mean and error rate, deltas with 95 % CIs", "reads"),
    ToolSpec("report", "Latency report",
             "analysis report of a run: summary, tables, errors, load, advice (md/html/json/csv)",
             "writes"),
    ToolSpec("tool_timings", "Claude Code session timings",
             "where the time went in a Claude Code session (model, Bash, MCP, built-in tools)",
             "reads"),
    ToolSpec("monitor", "Monitor latency continuously",
             "probe every target each interval: Prometheus /metrics, OTLP push, runs to the store",
             "measures", faces=("cli",)),
    ToolSpec("monitor_status", "What the monitor saw",
             "what the monitor saw per target and location over the last hour (store or window)",
             "reads"),
    ToolSpec("slo_rules", "Prometheus SLO rules",
             "Prometheus recording and burn-rate alert rules from an SLO file", "local",
             faces=("cli",)),
    ToolSpec("session_benchmark", "Claude Code session benchmark",
             "the same real Claude Code task on each provider: sessions compared, gaps explained",
             "measures", long_run=True),
    ToolSpec("emulate", "Local API emulator",
             "run a local emulator of the Anthropic, OpenAI and Bedrock APIs", "local",
             faces=("cli",)),
    ToolSpec("install_statusline", "Install the statusline",
             "add the sre-latency statusline to Claude Code's settings.json (with a backup)",
             "local", faces=("cli",)),
)  # fmt: skip
BY_NAME = {spec.name: spec for spec in CATALOGUE}


def for_face(face: str) -> list[ToolSpec]:
    return [spec for spec in CATALOGUE if face in spec.faces]
