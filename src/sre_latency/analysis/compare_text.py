"""The sentences of ``compare``: notes, conditions said first, flags and the summary line."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sre_latency.analysis.columns import RunColumns
    from sre_latency.analysis.compare_models import Delta, TargetComparison
    from sre_latency.analysis.compare_pairs import Pairing


def condition_notes(
    cols: list[RunColumns], targets: list[TargetComparison], allow: bool
) -> list[str]:
    """What differs between the baseline and each later run, said before any figure."""
    by_run: dict[str, list[str]] = {}
    for t in targets:
        for run_id, what in t.conditions_differ.items():
            for w in what:
                text = w if not w.startswith(("model ", "endpoint ")) else f"{t.label}: {w}"
                by_run.setdefault(run_id, [])
                if text not in by_run[run_id]:
                    by_run[run_id].append(text)
    notes = [
        f"conditions differ between {cols[0].run_id} and {run_id}: {'; '.join(what)}"
        for run_id, what in by_run.items()
    ]
    if notes:
        notes.append(
            "judged anyway (--allow-different-conditions): a change may come from the conditions"
            if allow
            else "so nothing is called a regression or an improvement between them; pass "
            "--allow-different-conditions to judge anyway"
        )
    return notes


def notes(
    cols: list[RunColumns], envs: list[str], pairings: list[Pairing], differ: bool
) -> list[str]:
    out = [f"run {c.run_id} is incomplete" for c in cols if not c.complete]
    out += [f"run {c.run_id} is marked invalid" for c in cols if not c.valid]
    if differ:
        out.append(
            "runs come from different environments ("
            + ", ".join(f"{c.run_id}: {e}" for c, e in zip(cols, envs, strict=True))
            + "); differences may reflect the network path, not the provider"
        )
    for p in pairings:
        missing = [c.run_id for c, t in zip(cols, p.targets, strict=True) if t is None]
        if missing:
            out.append(f"{p.label} is missing from {', '.join(missing)}")
        renamed = {t.label for t in p.targets if t is not None} - {p.label}
        if renamed:
            out.append(f"{p.label} is called {', '.join(sorted(renamed))} in a later run")
    return out


def _fmt(value: float, unit: str) -> str:
    if unit == "fraction":
        return f"{100 * value:+.1f} pp"
    return f"{value:+.0f} ms" if unit == "ms" else f"{value:+.1f} {unit}"


def describe(label: str, run_id: str, d: Delta) -> str:
    assert d.delta is not None and d.ci95_low is not None and d.ci95_high is not None
    pct = f" ({d.delta_pct:+.0f} %)" if d.delta_pct is not None else ""
    scale = 100 if d.unit == "fraction" else 1
    ci = f"[{scale * d.ci95_low:+.3g}, {scale * d.ci95_high:+.3g}]"
    return f"{label} {d.metric} {_fmt(d.delta, d.unit)}{pct} {ci} in {run_id}"


def summary(
    cols: list[RunColumns], regressions: list[str], improvements: list[str], pct: float,
    differ: bool, tests: int, condition_notes: list[str], allow: bool, emulated: bool,
) -> str:  # fmt: skip
    head = ("EMULATED runs: " if emulated else "") + (
        f"{len(cols)} runs compared against {cols[0].run_id}"
    )
    if condition_notes and not allow:
        head += "; conditions differ, so nothing is judged"
    if regressions:
        head += f": {len(regressions)} regression(s), e.g. {regressions[0]}"
    elif tests:
        head += (
            f": no regression beyond {pct:g} % with a simultaneous 95 % interval that excludes "
            f"zero ({tests} tests)"
        )
    if improvements:
        head += f"; {len(improvements)} improvement(s)"
    if differ:
        head += "; environments differ"
    return head + "."
