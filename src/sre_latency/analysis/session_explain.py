"""Why one provider's sessions took longer than another's: the gap, split into its parts.

Over the paired rounds (both sessions finished), with means per session::

    session = start-up + API time + tool time + the rest (Claude Code's own work, overlaps)
    API time = calls × time per call,  time per call = TTFT + the rest of the call

so the gap b − a splits exactly into

    more API calls        (calls_b − calls_a) × per-call time of b
    per-call TTFT         calls_a × (TTFT_b − TTFT_a)
    rest of each call     calls_a × (rest_b − rest_a)          (generation, streaming)
    tool time, start-up (launch → first API request), and the rest.

Behaviour that differs is named beside it: API calls, the tool mix, the tools offered (seen by
the emulator), requests that were no API call (Bedrock's start-up probes), the success rate.
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel

from sre_latency.analysis.session import (
    PairedDelta,
    ProviderSessions,
    mean_of,
    paired_delta,
    paired_sessions,
)
from sre_latency.core.contract import Run
from sre_latency.core.sessions import SessionRecord


class GapComponent(BaseModel):
    """One part of the gap: what it adds to a session (ms), and per call where that applies."""

    name: str  # api_calls | call_ttft | call_rest | tool_time | startup | other
    delta_ms: float
    per_call_delta_ms: float | None = None
    text: str


class GapExplanation(BaseModel):
    a: str
    b: str
    paired_n: int
    session: PairedDelta
    call_ttft: PairedDelta
    components: list[GapComponent]
    behaviour: list[str]
    statement: str


def _means(sessions: list[SessionRecord]) -> dict[str, float]:
    n = len(sessions)
    calls = [c for s in sessions for c in s.api_calls]
    k = len(calls) / n
    per_call = sum(c.duration_ms or 0.0 for c in calls) / len(calls) if calls else 0.0
    ttft = mean_of([c.ttft_ms for c in calls]) or 0.0
    wall = sum(s.wall_ms for s in sessions) / n
    startup = sum(s.startup_ms or 0.0 for s in sessions) / n
    tools = sum(s.tool_ms for s in sessions) / n
    api = k * per_call
    return {"wall": wall, "startup": startup, "tools": tools, "calls": k, "per_call": per_call,
            "ttft": ttft, "rest": per_call - ttft, "other": wall - startup - api - tools}  # fmt: skip


def ms_text(ms: float, signed: bool = True) -> str:
    """+1.2 s, −38 ms: seconds from one second up."""
    sign = ("+" if ms >= 0 else "−") if signed else ("" if ms >= 0 else "−")
    value = abs(ms)
    if value >= 10_000:
        return f"{sign}{value / 1000:.0f} s"
    if value >= 1000:
        return f"{sign}{value / 1000:.1f} s"
    return f"{sign}{value:.0f} ms" if value >= 10 else f"{sign}{value:.1f} ms"


def _ci(d: PairedDelta) -> str:
    if d.ci95_low is None or d.ci95_high is None:
        return ""
    return f" [{ms_text(d.ci95_low)}, {ms_text(d.ci95_high)}]"


def components(a: dict[str, float], b: dict[str, float], ttft: PairedDelta) -> list[GapComponent]:
    more_calls = (b["calls"] - a["calls"]) * b["per_call"]
    d_ttft, d_rest = b["ttft"] - a["ttft"], b["rest"] - a["rest"]
    parts = [
        GapComponent(name="api_calls", delta_ms=more_calls,
                     text=f"{b['calls'] - a['calls']:+.1f} API calls per session "
                     f"({b['calls']:.1f} vs {a['calls']:.1f}) × {ms_text(b['per_call'], False)} "
                     f"each account for {ms_text(more_calls)}"),
        GapComponent(name="call_ttft", delta_ms=a["calls"] * d_ttft, per_call_delta_ms=d_ttft,
                     text=f"per-call TTFT {ms_text(d_ttft)}{_ci(ttft)} × {a['calls']:.1f} calls "
                     f"accounts for {ms_text(a['calls'] * d_ttft)}"),
        GapComponent(name="call_rest", delta_ms=a["calls"] * d_rest, per_call_delta_ms=d_rest,
                     text=f"the rest of each call (generation, streaming) {ms_text(d_rest)} "
                     f"accounts for {ms_text(a['calls'] * d_rest)}"),
        GapComponent(name="tool_time", delta_ms=b["tools"] - a["tools"],
                     text=f"tool time {ms_text(b['tools'] - a['tools'])}"),
        GapComponent(name="startup", delta_ms=b["startup"] - a["startup"],
                     text=f"start-up (launch → first API request) "
                     f"{ms_text(b['startup'] - a['startup'])}"),
        GapComponent(name="other", delta_ms=b["other"] - a["other"],
                     text=f"Claude Code's own work outside API calls and tools "
                     f"{ms_text(b['other'] - a['other'])}"),
    ]  # fmt: skip
    return parts


def behaviour(pa: ProviderSessions, pb: ProviderSessions) -> list[str]:
    """The differences in what the sessions did (not how fast)."""
    out = []
    ka, kb = pa.api_calls.mean, pb.api_calls.mean
    if ka is not None and kb is not None:
        same = "the same number of" if abs(kb - ka) < 0.05 else "different numbers of"
        out.append(f"{same} API calls: {pb.label} {kb:.1f} vs {pa.label} {ka:.1f} per session")
    mix_a, mix_b = Counter(pa.tool_calls_by_tool), Counter(pb.tool_calls_by_tool)
    if mix_a != mix_b:
        diff = sorted(set(mix_a) | set(mix_b))
        out.append("tool mix differs: " + ", ".join(
            f"{t} {mix_b.get(t, 0):.1f} vs {mix_a.get(t, 0):.1f}" for t in diff
            if abs(mix_b.get(t, 0) - mix_a.get(t, 0)) >= 0.05))  # fmt: skip
    elif pa.ok and pb.ok:
        out.append(f"the same tool mix ({pb.tool_calls.mean or 0:.1f} tool calls per session)")
    if pa.tools_offered and pb.tools_offered and pa.tools_offered != pb.tools_offered:
        out.append(f"tools offered differ: {pb.label} {pb.tools_offered} vs {pa.label} "
                   f"{pa.tools_offered}")  # fmt: skip
    sa, sb = pa.side_requests.mean, pb.side_requests.mean
    if sa is not None and sb is not None and abs(sb - sa) >= 0.5:
        out.append(f"{pb.label} sends {sb:.0f} requests that are no API call (start-up probes) "
                   f"vs {sa:.0f} for {pa.label}")  # fmt: skip
    out.append(f"task check passed in {pb.succeeded}/{pb.sessions} {pb.label} sessions and "
               f"{pa.succeeded}/{pa.sessions} {pa.label} sessions")  # fmt: skip
    return out


def explain(
    run: Run, pa: ProviderSessions, pb: ProviderSessions, seed: int = 0
) -> GapExplanation | None:
    """The explanation of ``pb.label`` − ``pa.label``; None without a paired round."""
    pairs = paired_sessions(run, pa.label, pb.label)
    if not pairs:
        return None
    a = _means([x for x, _ in pairs])
    b = _means([y for _, y in pairs])
    session = paired_delta(pairs, pa.label, pb.label, "session_ms", seed)
    ttft = paired_delta(pairs, pa.label, pb.label, "call_ttft_ms", seed)
    parts = components(a, b, ttft)
    notes = behaviour(pa, pb)
    gap = b["wall"] - a["wall"]
    verb = "took" if gap >= 0 else "were faster by"
    shown = ms_text(gap) if gap >= 0 else ms_text(-gap, signed=False)
    ordered = sorted(parts, key=lambda c: -abs(c.delta_ms))
    rounds = f"{len(pairs)} paired round" + ("s" if len(pairs) != 1 else "")
    statement = (f"{pb.label} sessions {verb} {shown}{_ci(session)} vs {pa.label} "
                 f"(n={rounds}): " + "; ".join(c.text for c in ordered)
                 + ". Behaviour: " + "; ".join(notes) + ".")  # fmt: skip
    return GapExplanation(a=pa.label, b=pb.label, paired_n=len(pairs), session=session,
                          call_ttft=ttft, components=parts, behaviour=notes, statement=statement)  # fmt: skip
