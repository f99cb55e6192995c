"""The analysis of a recorded session run (fixtures/runs/session.json, see record_sessions.py):
the simple task, anthropic vs bedrock, 3 rounds, Bedrock routes 150 ms slower per request."""

from __future__ import annotations

import json

import pytest

from calls import compare, report
from recorded import recorded_run
from sre_latency.analysis.session_result import session_benchmark_result
from sre_latency.errors import ConfigError
from sre_latency.store import load_run_file
from sre_latency.store.journal import journal_header, run_from_journal, sample_line, session_line

INJECTED_MS = 150.0  # record_sessions.OVERHEAD_MS


@pytest.fixture
def session_run(tmp_path_factory):
    return recorded_run("session", tmp_path_factory)


def test_each_provider_has_its_sessions_figures_with_n(session_run):
    result = session_benchmark_result(load_run_file(session_run), session_run)
    assert [p.label for p in result.providers] == ["anthropic", "bedrock"]
    for p in result.providers:
        assert (p.sessions, p.ok, p.succeeded) == (3, 3, 3)
        assert p.session_ms.n == 3 and p.session_ms.p50 > 0
        assert (p.api_calls.mean, p.tool_calls.mean, p.call_ttft_ms.n) == (3.0, 2.0, 9)
        assert p.tool_calls_by_tool == {"Bash": 1.0, "Write": 1.0}
        assert p.tool_calls_by_category == {"Bash": 1.0, "Built-in": 1.0}
        assert p.ttft_source == "emulator"
    assert result.claude_code_version and result.emulated and result.task == "simple"


def test_the_injected_bedrock_overhead_is_recovered_in_the_explanation_within_5_percent(
    session_run,
):
    result = session_benchmark_result(load_run_file(session_run), session_run)
    (why,) = result.explanations
    ttft = next(c for c in why.components if c.name == "call_ttft")
    assert ttft.per_call_delta_ms == pytest.approx(INJECTED_MS, rel=0.05)
    assert why.call_ttft.delta_mean == pytest.approx(INJECTED_MS, rel=0.05)
    assert why.call_ttft.ci95_low <= why.call_ttft.delta_mean <= why.call_ttft.ci95_high
    assert "per-call TTFT +150 ms" in why.statement or "per-call TTFT +149 ms" in why.statement
    assert "bedrock sends 4 requests that are no API call" in why.statement


def test_the_parts_of_the_gap_add_up_to_the_gap(session_run):
    run = load_run_file(session_run)
    (why,) = session_benchmark_result(run, session_run).explanations
    assert sum(c.delta_ms for c in why.components) == pytest.approx(why.session.delta_mean)
    a = [s.wall_ms for s in run.providers["anthropic"].sessions]
    b = [s.wall_ms for s in run.providers["bedrock"].sessions]
    assert why.session.delta_mean == pytest.approx(sum(b) / 3 - sum(a) / 3)
    assert why.paired_n == 3 and why.session.paired_n == 3


def test_grade_uses_the_session_table_for_a_session_run(session_run):
    from sre_latency.tools import grade as tool
    from sre_latency.tools.options import build

    graded = tool.run(build(tool.OPTIONS, {"run": str(session_run)}))
    rows = {m.metric for p in graded.providers for m in p.metrics}
    assert "total_ms p90" in rows and "output_tps mean" not in rows
    assert "session default" in graded.slo_source


def test_compare_reads_session_runs_and_refuses_to_mix_them_with_request_runs(
    session_run, base, tmp_path
):
    again = tmp_path / "again.json"
    again.write_bytes(session_run.read_bytes())
    same = compare(runs=[str(session_run), str(again)])
    assert [t.label for t in same.targets] == ["anthropic", "bedrock"]
    with pytest.raises(ConfigError, match="compare session runs with session runs only"):
        compare(runs=[str(base), str(session_run)])


def test_the_markdown_report_has_the_sessions_the_explanation_and_a_timeline(session_run):
    text = report(run=str(session_run))._document
    assert "## Claude Code sessions" in text and "**Why:** bedrock sessions" in text
    timeline = text.split("### Timeline of each session", 1)[1]
    assert timeline.count(" r0 ") == 2 and timeline.count(" r2 ") == 2
    assert "M" in timeline and "T" in timeline


def test_the_html_report_draws_the_session_timeline(session_run, tmp_path):
    out = tmp_path / "r.html"
    report(run=str(session_run), format="html", output=str(out))
    html = out.read_text()
    assert "<h2>Claude Code sessions</h2>" in html
    assert 'alt="session timeline" src="data:image/png;base64,' in html
    assert html.index("Claude Code sessions") < html.index("</body>")


def test_an_interrupted_session_run_keeps_its_session_records(session_run):
    run = load_run_file(session_run)
    lines = [(json.dumps(journal_header(run)) + "\n").encode()]
    for label, p in run.providers.items():
        for sample, record in zip(p.samples, p.sessions, strict=True):
            lines += [sample_line(label, sample), session_line(label, record)]
    lines.append(b'{"type": "session", "label": "bedrock", "session": {"bad": 1}}\n')
    back = run_from_journal(b"".join(lines), "journal")
    assert not back.complete
    for label, p in run.providers.items():
        assert back.providers[label].sessions == p.sessions
        assert len(back.providers[label].samples) == 3


def test_more_api_calls_and_another_tool_mix_are_named_and_priced(session_run):
    """The recorded run, with every bedrock session given one more API call and one more Read
    (a copy of its own last call, one second later): what a real model on another provider does."""
    run = load_run_file(session_run)
    for s in run.providers["bedrock"].sessions:
        extra = s.api_calls[-1].model_copy(update={"started_ms": s.wall_ms, "request_id": None})
        s.api_calls.append(extra)
        s.tool_calls.append(s.tool_calls[0].model_copy(update={"tool_name": "Read"}))
        s.model_ms += extra.duration_ms
        s.wall_ms += 1000.0
    (why,) = session_benchmark_result(run, session_run).explanations
    parts = {c.name: c for c in why.components}
    bedrock_calls = [c for s in run.providers["bedrock"].sessions for c in s.api_calls]
    per_call_b = sum(c.duration_ms for c in bedrock_calls) / len(bedrock_calls)
    assert parts["api_calls"].delta_ms == pytest.approx(1.0 * per_call_b)
    assert sum(c.delta_ms for c in why.components) == pytest.approx(why.session.delta_mean)
    assert "different numbers of API calls: bedrock 4.0 vs anthropic 3.0" in why.statement
    assert "tool mix differs: Read 1.0 vs 0.0" in why.statement
