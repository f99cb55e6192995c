"""The session part of a report on a ``session`` run: per provider figures, the explanation of
each gap, and a timeline of every session (API calls vs tool calls, launch to exit).

The rest of the report reads the run's samples like any run's (one sample per session:
``total_ms`` is the session's wall time, ``ttft_ms`` launch → first token); this section adds
what only the session records hold. Markdown gets tables and a text timeline; HTML a plot.
"""

from __future__ import annotations

from html import escape

from sre_latency.analysis.session_explain import ms_text
from sre_latency.analysis.session_result import SessionBenchmarkResult, session_benchmark_result
from sre_latency.core.contract import Run
from sre_latency.core.sessions import SessionRecord

BAR_CHARS = 60
ROWS = (("session", "session_ms"), ("start-up", "startup_ms"), ("first token", "first_token_ms"),
        ("model (API calls)", "model_ms"), ("tools", "tool_ms"), ("API calls", "api_calls"),
        ("tool calls", "tool_calls"), ("per-call TTFT", "call_ttft_ms"))  # fmt: skip


def _cell(stat, field: str) -> str:
    if stat.mean is None:
        return "-"
    if field.endswith("_ms"):
        return f"{ms_text(stat.p50, False)} / {ms_text(stat.mean, False)} (n={stat.n})"
    return f"{stat.p50:.1f} / {stat.mean:.1f} (n={stat.n})"


def figure_rows(result: SessionBenchmarkResult) -> tuple[list[str], list[list[str]]]:
    header = ["per session (p50 / mean)", *[p.label for p in result.providers]]
    rows = [[name, *[_cell(getattr(p, field), field) for p in result.providers]]
            for name, field in ROWS]  # fmt: skip
    rows.append(["task check passed", *[f"{p.succeeded}/{p.sessions}" for p in result.providers]])
    rows.append(["tool calls by tool", *[", ".join(f"{k} {v:.1f}" for k, v in
                                                   p.tool_calls_by_tool.items()) or "-"
                                         for p in result.providers]])  # fmt: skip
    return header, rows


def sessions_in_order(run: Run) -> list[tuple[str, SessionRecord]]:
    found = [(label, s) for label, p in run.providers.items() for s in p.sessions]
    return sorted(found, key=lambda item: item[1].seq)


def _text_bar(s: SessionRecord, scale_ms: float) -> str:
    """``····MMM tt MM T M`` — M: an API call streaming, t/T: a tool running, ·: neither."""
    cells = ["·"] * BAR_CHARS
    for lo, hi, mark in _spans(s):
        a = int(lo / scale_ms * BAR_CHARS)
        b = max(a + 1, int(hi / scale_ms * BAR_CHARS))
        for i in range(max(0, a), min(BAR_CHARS, b)):
            cells[i] = mark if cells[i] == "·" else "#"
    return "".join(cells[: max(1, round(s.wall_ms / scale_ms * BAR_CHARS))])


def _spans(s: SessionRecord) -> list[tuple[float, float, str]]:
    spans = [(c.started_ms, c.started_ms + c.duration_ms, "M") for c in s.api_calls
             if c.started_ms is not None and c.duration_ms is not None]  # fmt: skip
    spans += [(t.started_ms, t.started_ms + t.duration_ms, "T") for t in s.tool_calls
              if t.started_ms is not None and t.duration_ms is not None]  # fmt: skip
    return spans


def markdown_section(run: Run) -> str:
    result = session_benchmark_result(run, "")
    out = ["## Claude Code sessions", "",
           f"Task `{result.task}`, Claude Code {result.claude_code_version or '?'}"
           + (", emulated" if result.emulated else "") + ".", ""]  # fmt: skip
    header, rows = figure_rows(result)
    out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows] + [""]
    out += [f"**Why:** {e.statement}" for e in result.explanations] + [""]
    sessions = sessions_in_order(run)
    scale = max((s.wall_ms for _, s in sessions), default=1.0) or 1.0
    out += ["### Timeline of each session", "",
            f"Launch to exit, {ms_text(scale, False)} across: M an API call, T a tool, "
            "# both, · neither (start-up, Claude Code's own work).", "", "```"]  # fmt: skip
    width = max((len(label) for label, _ in sessions), default=0)
    out += [f"{label:<{width}} r{s.round} {_text_bar(s, scale)} {ms_text(s.wall_ms, False)}"
            + ("" if s.success else "  (check failed)") for label, s in sessions]  # fmt: skip
    return "\n".join([*out, "```", ""]) + "\n"


def html_section(run: Run) -> str:
    from sre_latency.analysis.report.html import _img, _table
    from sre_latency.analysis.report.plots_session import session_timeline

    result = session_benchmark_result(run, "")
    header, rows = figure_rows(result)
    parts = ["<h2>Claude Code sessions</h2>",
             f"<p>Task <code>{escape(result.task)}</code>, Claude Code "
             f"{escape(result.claude_code_version or '?')}"
             + (", emulated" if result.emulated else "") + ".</p>",
             _table(header, [[escape(c) for c in r] for r in rows], {0, *range(1, len(header))})]  # fmt: skip
    parts += [f"<p><strong>Why:</strong> {escape(e.statement)}</p>" for e in result.explanations]
    parts += ["<h3>Timeline of each session</h3>",
              _img(session_timeline(sessions_in_order(run)), "session timeline")]  # fmt: skip
    return "\n".join(parts) + "\n"


def add_session_section(document: str, run: Run, fmt: str) -> str:
    """``document`` (a report of ``run``) with the session section, for md and html."""
    if run.kind != "session" or not any(p.sessions for p in run.providers.values()):
        return document
    if fmt == "md":
        return document + "\n" + markdown_section(run)
    if fmt == "html":
        at = document.rfind("</body>")
        at = at if at >= 0 else len(document)
        return document[:at] + html_section(run) + document[at:]
    return document
