"""What ``session_benchmark`` answers: per provider figures, paired differences, the explanation
of each gap against the first provider, and a sentence a person would say."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from sre_latency.analysis.session import (
    SESSION_FIGURES,
    PairedDelta,
    ProviderSessions,
    paired_delta,
    paired_sessions,
    provider_sessions,
)
from sre_latency.analysis.session_explain import GapExplanation, explain, ms_text
from sre_latency.core.contract import Run


class SessionBenchmarkResult(BaseModel):
    """A session run, analysed; readable as bare JSON."""

    run_id: str
    path: str
    complete: bool
    emulated: bool
    task: str
    claude_code_version: str | None
    finished: int = Field(description="sessions finished")
    planned: int
    providers: list[ProviderSessions]
    deltas: list[PairedDelta] = Field(description="b − a per figure, against the first provider")
    explanations: list[GapExplanation]
    notes: list[str]
    summary: str


def session_benchmark_result(run: Run, path: str | Path, finished: int | None = None,
                             planned: int | None = None) -> SessionBenchmarkResult:  # fmt: skip
    labels = list(run.providers)
    providers = [provider_sessions(label, run) for label in labels]
    seed = run.config.seed or 0
    deltas, explanations = [], []
    for pb in providers[1:]:
        pa = providers[0]
        pairs = paired_sessions(run, pa.label, pb.label)
        deltas += [paired_delta(pairs, pa.label, pb.label, m, seed) for m in SESSION_FIGURES]
        found = explain(run, pa, pb, seed)
        if found is not None:
            explanations.append(found)
    done = sum(p.sessions for p in providers)
    planned = planned if planned is not None else run.config.n * len(labels)
    extra = run.config.model_extra or {}
    version = getattr(run.environment, "claude_code_version", None)  # an extra: any JSON
    return SessionBenchmarkResult(
        run_id=run.run_id, path=str(path), complete=run.complete, emulated=run.config.emulate,
        task=str(extra.get("task", "")),
        claude_code_version=version if isinstance(version, str) else None,
        finished=finished if finished is not None else done, planned=planned,
        providers=providers, deltas=deltas, explanations=explanations,
        notes=list(run.validity_notes), summary=_summary(run, providers, explanations),
    )  # fmt: skip


def _summary(
    run: Run, providers: list[ProviderSessions], explanations: list[GapExplanation]
) -> str:
    parts = []
    for p in providers:
        p50 = p.session_ms.p50
        shown = ms_text(p50, signed=False) if p50 is not None else "no finished session"
        parts.append(f"{p.label} session p50 {shown} (n={p.session_ms.n}, "
                     f"{p.succeeded}/{p.sessions} passed)")  # fmt: skip
    text = "; ".join(parts) if parts else "no sessions"
    if explanations:
        text += f". {explanations[0].statement}"
    if not run.complete:
        text += " (stopped early; every finished session is kept)"
    return text
