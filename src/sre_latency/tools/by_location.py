"""``--by location`` for ``compare`` and ``report``: runs from many places, merged by place.

The ``by`` option is declared once here. ``compare`` sets each location's pooled runs against
the first location's; ``report`` shows each target once per location. Both say which runs
(and files or objects) each location's figures come from.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from sre_latency.errors import ConfigError
from sre_latency.store import RunStore
from sre_latency.tools.options import Options


class ByOptions(Options):
    by: Literal["run", "location"] = Field(
        "run",
        description="run: each run as saved; location: runs pooled per location (the monitor's "
        "--location or $SRE_LATENCY_LOCATION, else the host): compare sets each location "
        "against the first, report shows every target per location",
    )


def _several_places(merged: list, runs: list) -> None:
    if len(merged) < 2:
        raise ConfigError(f"--by location needs runs from two or more locations; these "
                          f"{len(runs)} runs all come from {merged[0].run_id}.")  # fmt: skip


def compare_by_location(runs: list, opts: Any) -> Any:
    from sre_latency.analysis.compare import compare
    from sre_latency.analysis.locations import by_location

    merged, sources = by_location(runs)
    _several_places(merged, runs)
    result = compare(merged, metrics=opts.metrics, min_change_pct=opts.min_change_pct)
    result.notes = [f"runs from {s}" for s in sources] + result.notes
    result.summary = f"By location ({', '.join(m.run_id for m in merged)}): {result.summary}"
    return result


def pooled_runs(store: RunStore, latest: int | None, run: str | None) -> tuple[Any, Any]:
    """The ``latest`` newest runs of ``store`` as one columns set, targets per location; and
    the newest run's locator (for the report's output checks)."""
    from sre_latency.analysis.columns import ANALYSED_KINDS, load_columns
    from sre_latency.analysis.locations import one_run_per_location

    if run is not None or latest is None:
        raise ConfigError("--by location pools the newest runs: give --latest N, not a run.")
    picked = []
    for loc in store.list_paths():
        if len(picked) == latest:
            break
        if any(f"-{kind.replace('_', '-')}-" in loc.stem for kind in ANALYSED_KINDS):
            picked.append(loc)
    if not picked:
        raise ConfigError(f"no measured runs under {store.location} to report on.")
    runs = [load_columns(loc, store) for loc in picked]
    merged, sources = one_run_per_location(runs)
    merged.validity_notes[:0] = [f"runs from {s}" for s in sources]
    return merged, picked[0]
