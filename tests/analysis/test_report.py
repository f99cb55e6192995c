"""report on real emulator runs: the figures, errors, load, advice, and each output format."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from calls import report
from recorded import recorded_run
from sre_latency.cli import main
from sre_latency.core.redact import redact
from sre_latency.errors import ConfigError
from sre_latency.store import load_run_file


def test_the_executive_summary_states_status_error_rate_and_the_main_finding(faulty):
    run = load_run_file(faulty)
    n = sum(p.summary.n for p in run.providers.values())
    errors = sum(p.summary.errors for p in run.providers.values())
    r = report(faulty)
    assert r.n == n and r.ok == n - errors
    assert r.error_rate == pytest.approx(errors / n)
    assert r.status == "failing"  # > 10 % errors
    assert r.status_line.startswith(
        f"EMULATED run · FAILING: 2 target(s), {n} requests, error rate"
    )
    assert r.main_finding.endswith(".") and r.summary.startswith(r.status_line)


def test_the_main_finding_names_the_faster_target_with_a_ci(base):
    r = report(base)
    assert r.status == "healthy"
    assert r.main_finding.startswith("anthropic reaches the first token sooner than openai")
    low, high = map(float, re.search(r"CI (-?\d+), (-?\d+)\]", r.main_finding).groups())
    assert low <= 20 <= high + 1  # openai carries a known extra 20 ms


def test_the_target_table_matches_the_run_file_summary(faulty):
    run = load_run_file(faulty)
    r = report(faulty)
    for t in r.targets:
        s = run.providers[t.label].summary
        assert (t.n, t.ok) == (s.n, s.ok)
        ttft = t.metrics[0]
        assert ttft.metric == "ttft_ms" and ttft.n == s.ttft_ms.n
        assert ttft.p50 == pytest.approx(s.ttft_ms.p50)
        assert ttft.p99 == pytest.approx(s.ttft_ms.p99)
        assert ttft.sd == pytest.approx(s.ttft_ms.sd)


def test_errors_are_grouped_by_class_with_counts_and_examples(faulty):
    run = load_run_file(faulty)
    expected: dict[str, int] = {}
    for p in run.providers.values():
        for cls, k in p.summary.errors_by_class.items():
            expected[cls] = expected.get(cls, 0) + k
    r = report(faulty)
    assert {e.error_class: e.count for e in r.errors} == expected
    for e in r.errors:
        assert 1 <= len(e.examples) <= 3
        assert all("injected by the emulator" in x for x in e.examples)


def test_error_examples_never_show_anything_shaped_like_a_secret():
    text = redact(
        "401 for key sk-ant-api03-abcdefghijklmnop with Authorization: Bearer abc.def "
        "and AKIAIOSFODNN7EXAMPLE Signature=deadbeef"
    )
    for secret in ("sk-ant-api03", "abc.def", "AKIAIOSFODNN7EXAMPLE", "deadbeef"):
        assert secret not in text
    assert text.count("[redacted]") == 4


def test_throughput_over_time_counts_every_request_once(faulty):
    r = report(faulty)
    tp = r.throughput
    assert sum(w.requests for w in tp.windows) == r.n
    assert sum(w.errors for w in tp.windows) == r.n - r.ok
    assert sum(w.span_s for w in tp.windows) == pytest.approx(tp.duration_s, abs=1e-3)
    assert tp.peak_requests_per_s == max(w.requests_per_s for w in tp.windows)
    assert all(
        w.requests_per_s == pytest.approx(w.requests / w.span_s, rel=1e-3) for w in tp.windows
    )
    assert tp.mean_requests_per_s == pytest.approx(r.n / tp.duration_s)


def test_consistency_and_tiers_cover_every_target(base):
    r = report(base)
    assert [c.label for c in r.consistency] == ["anthropic", "openai"]
    for c in r.consistency:
        assert c.ttft_p99_over_p50 >= 1 and c.verdict == "steady"
    assert r.tiers[0].tier == "excellent" and len(r.tiers[0].targets) == 2
    assert r.tiers[0].criterion.startswith("grade A")


def test_every_recommendation_cites_a_figure(faulty):
    r = report(faulty)
    assert r.recommendations
    for rec in r.recommendations:
        assert re.search(r"\d", rec.evidence), rec
    assert any("rate_limit errors on" in rec.evidence for rec in r.recommendations)


def test_an_incomplete_run_is_reported_as_incomplete(tmp_path_factory):
    r = report(recorded_run("partial", tmp_path_factory))
    assert not r.complete and "INCOMPLETE" in r.status_line
    assert r.notes[0].startswith("run is incomplete")
    assert any("partial" in rec.text for rec in r.recommendations)


def test_markdown_has_every_section(base, capsys):
    assert main(["report", str(base), "--format", "md"]) == 0
    md = capsys.readouterr().out
    for heading in ("# Latency report", "## Targets", "## Errors", "## Throughput over time",
                    "## Consistency", "## Performance tiers", "## Recommendations"):  # fmt: skip
        assert heading in md
    assert "| anthropic |" in md


def test_csv_has_one_row_per_target_and_metric(faulty, capsys):
    assert main(["report", str(faulty), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    run = load_run_file(faulty)
    ttft = {r["target"]: r for r in rows if r["metric"] == "ttft_ms"}
    for label, p in run.providers.items():
        assert int(ttft[label]["n"]) == p.summary.ttft_ms.n
        assert float(ttft[label]["p50"]) == pytest.approx(p.summary.ttft_ms.p50, abs=1e-3)
    rates = {r["target"]: float(r["mean"]) for r in rows if r["metric"] == "error_rate"}
    assert rates == {
        k: pytest.approx(p.summary.error_rate, abs=1e-9) for k, p in run.providers.items()
    }


def test_json_output_is_the_report_model(base, capsys):
    assert main(["report", str(base), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run_id"] == load_run_file(base).run_id and data["summary"]


def test_html_is_one_self_contained_file_with_its_plots(faulty, tmp_path):
    out = tmp_path / "report.html"
    r = report(faulty, format="html", output=out)
    assert r.output_path == str(out)
    html = out.read_text()
    # TTFT CDF, histograms, errors by class, requests per minute, per-sample timeline, and the
    # load section's latency over time with the request rate
    assert html.count('src="data:image/png;base64,') == 6
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing loaded from elsewhere
    assert "TTFT CDF per target" in html and "Errors by class" not in html  # alt, not text


def test_an_unknown_format_is_refused(base):
    with pytest.raises(ConfigError, match="bad --format: must be"):
        report(base, format="pdf")


def test_routing_advice_needs_a_difference_whose_ci_excludes_zero(base):
    r = report(base)  # openai carries a known extra 20 ms on a 30 ms TTFT
    (rec,) = [x for x in r.recommendations if x.text.startswith("Route")]
    assert rec.text == "Route latency-sensitive traffic to anthropic rather than openai."
    assert "95 % CI" in rec.evidence


def test_a_target_that_misses_the_slo_table_is_never_told_no_action_is_needed(base, tmp_path):
    from sre_latency.analysis.columns import load_run_columns
    from sre_latency.analysis.report.build import build_report
    from sre_latency.core.slo import load_slo_file

    cols = load_run_columns(base)
    cols.targets = {"anthropic": cols.targets["anthropic"]}  # one healthy target: no rule fires
    strict = tmp_path / "strict.toml"
    strict.write_text("[grades]\nttft_ms.p50 = [1, 2, 3, 4]\n")  # its ~30 ms TTFT grades F
    (advice,) = build_report(cols, load_slo_file(strict)).recommendations
    assert not advice.text.startswith("No action") and "anthropic F" in advice.evidence
    (fine,) = build_report(cols).recommendations
    assert fine.text.startswith("No action") and "anthropic A" in fine.evidence
