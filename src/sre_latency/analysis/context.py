"""The conditions of a run read from its columns (see ``core.conditions``)."""

from __future__ import annotations

import numpy as np

from sre_latency.analysis.columns import RunColumns
from sre_latency.core.conditions import Conditions, conditions_of

_MAX_PER_TARGET = 20_000  # input tokens barely vary for one prompt: an even subsample will do


def median_input_tokens(cols: RunColumns) -> int | None:
    """The median input tokens per successful request over the run (the API's own count)."""
    parts = []
    for t in cols.targets.values():
        step = max(t.n // _MAX_PER_TARGET, 1)
        parts.append(t.metrics["input_tokens"][::step][t.ok[::step]])
    values = np.concatenate(parts) if parts else np.empty(0)
    values = values[~np.isnan(values)]
    return round(float(np.median(values))) if values.size else None


def run_conditions(cols: RunColumns) -> Conditions:
    """What ``cols`` was measured under: emulated or real, concurrency, prompt, stack, hosts."""
    endpoints = {label: t.endpoint for label, t in cols.targets.items()}
    return conditions_of(cols.config, cols.environment, endpoints, median_input_tokens(cols))
