"""Runs from many places merged by location: the pooled samples of each place, and where they
came from.

A run's location is the name it was measured under (``--location`` of the monitor,
``$SRE_LATENCY_LOCATION`` of any command), else its host (and AWS region). ``by_location``
pools the runs of each location into one ``RunColumns`` per place (for ``compare --by
location``: each place against the first); ``one_run_per_location`` makes a single
``RunColumns`` whose targets are ``<target> @ <location>`` (for ``report --by location``).
Samples are concatenated, never resampled: every figure keeps its real ``n``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sre_latency.analysis.columns import RunColumns, TargetColumns


def location_of(cols: RunColumns) -> str:
    return cols.environment.location or cols.environment_label


def _pool(parts: list[TargetColumns], label: str) -> TargetColumns:
    """One target's samples from several runs, concatenated in run order."""
    first = parts[0]
    messages: dict[int, str] = {}
    offset = 0
    for p in parts:
        messages.update({offset + i: m for i, m in p.error_messages.items()})
        offset += p.n
    return TargetColumns(
        label=label, provider=first.provider, model=first.model, endpoint=first.endpoint,
        metrics={m: np.concatenate([p.metrics[m] for p in parts]) for m in first.metrics},
        ok=np.concatenate([p.ok for p in parts]),
        error_code=np.concatenate([p.error_code for p in parts]),
        round=np.concatenate([p.round for p in parts]),
        cold=np.concatenate([p.cold for p in parts]),
        started_s=np.concatenate([p.started_s for p in parts]),
        error_messages=messages,
    )  # fmt: skip


def _sources(place: str, runs: list[RunColumns]) -> str:
    named = ", ".join(f"{r.run_id} ({r.path})" if r.path else r.run_id for r in runs)
    return f"{place}: {len(runs)} run(s), n={sum(r.n for r in runs)}: {named}"


def _merged(place: str, runs: list[RunColumns], relabel: bool) -> RunColumns:
    labels = list(dict.fromkeys(label for r in runs for label in r.targets))
    targets = {}
    for label in labels:
        name = f"{label} @ {place}" if relabel else label
        targets[name] = _pool([r.targets[label] for r in runs if label in r.targets], name)
    notes = [f"{r.run_id}: {n}" for r in runs for n in r.validity_notes]
    return RunColumns(
        run_id=place, kind=runs[0].kind, created_at=min(r.created_at for r in runs),
        complete=all(r.complete for r in runs), valid=all(r.valid for r in runs),
        validity_notes=notes, environment=runs[0].environment, config=runs[0].config,
        targets=targets, path="; ".join(r.path or r.run_id for r in runs),
    )  # fmt: skip


def group_by_location(runs: list[RunColumns]) -> dict[str, list[RunColumns]]:
    """Runs per location, locations in the order they first appear."""
    groups: dict[str, list[RunColumns]] = {}
    for r in runs:
        groups.setdefault(location_of(r), []).append(r)
    return groups


def by_location(runs: list[RunColumns]) -> tuple[list[RunColumns], list[str]]:
    """One pooled ``RunColumns`` per location (named by it), and where each came from."""
    groups = group_by_location(runs)
    merged = [_merged(place, group, relabel=False) for place, group in groups.items()]
    return merged, [_sources(place, group) for place, group in groups.items()]


def one_run_per_location(runs: list[RunColumns]) -> tuple[RunColumns, list[str]]:
    """A single ``RunColumns`` whose targets are ``<target> @ <location>``."""
    groups = group_by_location(runs)
    parts = [_merged(place, group, relabel=True) for place, group in groups.items()]
    first = parts[0]
    merged = replace(
        first,
        run_id=" + ".join(p.run_id for p in parts),
        targets={name: t for p in parts for name, t in p.targets.items()},
        complete=all(p.complete for p in parts),
        valid=all(p.valid for p in parts),
        validity_notes=[n for p in parts for n in p.validity_notes],
        created_at=min(p.created_at for p in parts),
        path="; ".join(p.path or "" for p in parts),
    )
    return merged, [_sources(place, group) for place, group in groups.items()]
