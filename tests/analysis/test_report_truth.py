"""The report reads true: one request, an all-failed run, noise, tiers, rates, emulation, errors."""

from __future__ import annotations

import json
import re
import shutil

import anyio
import pytest
from mcp.client import Client

from calls import report
from recorded import recorded_run
from sre_latency.cli import main
from sre_latency.server import build_server
from sre_latency.store import LocalStore


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_a_run_of_one_request_reports_in_every_format_without_a_traceback(
    fmt, tmp_path_factory, tmp_path, capsys
):
    one = recorded_run("one", tmp_path_factory)  # a latency check of one provider: 1 request
    out = tmp_path / f"report.{fmt}"
    assert main(["report", str(one), "--format", fmt, "-o", str(out)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    text = out.read_text()
    if fmt in ("md", "html"):
        assert "a rate needs at least two requests" in text


async def test_the_mcp_report_of_a_one_request_run_answers_with_the_report(tmp_path_factory):
    runs = LocalStore().runs_dir
    runs.mkdir(parents=True)
    shutil.copy(recorded_run("one", tmp_path_factory), runs / "one.json")
    async with Client(build_server()) as client:
        with anyio.fail_after(60):
            result = await client.call_tool(
                "report", {"run": "one", "format": "html", "output": "one-request"}
            )
    assert not result.is_error, result.content[0].text
    assert result.structured_content["output_path"].endswith("one-request.html")
    assert result.structured_content["summary"].startswith("EMULATED run")


async def test_mcp_summaries_of_emulated_runs_say_so():
    fast = {"emulate": True, "emulator_ttft_ms": 5, "emulator_itl_ms": 0, "n": 2, "warmup": 0}
    async with Client(build_server()) as client:
        with anyio.fail_after(60):
            measured = await client.call_tool("benchmark", {**fast, "providers": "anthropic"})
            graded = await client.call_tool("grade", {})
    for result in (measured, graded):
        assert not result.is_error, result.content[0].text
        assert "EMULATED" in result.structured_content["summary"]
    final = measured.structured_content.get("result") or measured.structured_content
    assert final["emulated"] is True and final["conditions"]["emulated"] is True


def test_an_all_failed_run_names_every_failed_target_and_one_rate_everywhere(tmp_path_factory):
    r = report(recorded_run("alldead", tmp_path_factory))  # anthropic + openai, every 401
    assert "anthropic and openai failed every one of their requests" in r.main_finding
    assert r.grade == "F" and [t.tier for t in r.tiers] == ["unacceptable"]
    # the rate in the text, the windows drawn in the plot and the run's own count agree
    assert r.rates.request_rate_per_s == pytest.approx(r.n / r.rates.span_s)
    assert r.throughput.mean_requests_per_s == pytest.approx(r.rates.request_rate_per_s)
    drawn = sum(w.requests_per_s * w.span_s for w in r.throughput.windows)
    assert drawn == pytest.approx(r.n, rel=1e-3)


def test_a_gap_that_is_noise_is_never_the_main_finding(base, tmp_path_factory):
    from sre_latency.analysis.columns import load_run_columns
    from sre_latency.analysis.report.build import build_report

    cols = load_run_columns(recorded_run("models", tmp_path_factory))
    # two targets measuring the same emulator profile: TTFT p50 differs by a fraction of a ms
    cols.targets = {k: cols.targets[k] for k in ("anthropic/haiku-4.5", "anthropic/sonnet-4.5")}
    finding = build_report(cols).main_finding
    assert finding.startswith("no target is meaningfully faster to the first token")
    assert "sooner" not in finding
    real = report(base).main_finding  # openai carries a known extra 20 ms on a 30 ms TTFT
    assert real.startswith("anthropic reaches the first token sooner than openai")


def test_tiers_follow_the_grade_so_a_failing_target_is_never_excellent(faulty):
    r = report(faulty)  # TTFT of a few ms, but 20 % errors: grade F
    assert r.status == "failing"
    tiers = {label.split(" ")[0]: t.tier for t in r.tiers for label in t.targets}
    grades = {t.label: t.grade for t in r.targets}
    assert grades == {"anthropic": "F", "openai": "F"}
    assert tiers == {"anthropic": "unacceptable", "openai": "unacceptable"}


def test_rates_per_target_add_up_to_the_run_and_are_in_every_format(base, capsys):
    r = report(base)
    total = sum(t.rates.request_rate_per_s for t in r.targets)
    assert total == pytest.approx(r.rates.request_rate_per_s)
    assert r.rates.output_tokens_per_s > 0 and r.rates.goodput_per_s is not None
    assert main(["report", str(base), "--format", "md"]) == 0
    md = capsys.readouterr().out
    row = next(line for line in md.splitlines() if line.startswith("| all targets |"))
    assert f"{r.rates.request_rate_per_s:.1f}" in row


def test_an_emulated_run_says_so_in_a_banner_with_its_conditions(base, tmp_path):
    out = tmp_path / "r.html"
    r = report(base, format="html", output=out)
    html = out.read_text()
    assert r.emulated and r.summary.startswith("EMULATED")
    assert "class='emulated'" in html and "not a real API" in html
    for fragment in ("concurrency 1", "prompt small (61 input tokens)", "max_tokens 8",
                     "warm connections", "stack aiohttp", "127.0.0.1"):  # fmt: skip
        assert fragment in html


def test_errors_show_one_example_per_class_and_target_with_its_host(faulty):
    r = report(faulty)
    for e in r.errors:
        assert len(e.examples) == len(e.by_target)
        for label, example in zip(e.by_target, e.examples, strict=True):
            assert re.match(rf"{re.escape(label)} \(127\.0\.0\.1:\d+\): ", example)


def test_a_report_is_never_written_over_a_run_file_or_a_journal(base, tmp_path, capsys):
    before = base.read_bytes()
    assert main(["report", str(base), "-o", str(base)]) == 2
    # a run still in progress: its run file does not exist yet, its journal does
    pending = tmp_path / "nightly.json"
    journal = pending.with_suffix(".jsonl")
    run = json.loads(before)
    journal.write_text(json.dumps({"type": "header", "run": {k: run[k] for k in ("schema_version",
                       "run_id", "kind", "created_at")}}) + "\n")  # fmt: skip
    assert main(["report", str(base), "-o", str(pending)]) == 2
    assert main(["report", str(base), "-o", str(journal)]) == 2
    err = capsys.readouterr().err
    assert err.count("refusing to write a report over it") == 3 and "Traceback" not in err
    assert base.read_bytes() == before and not pending.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nightly.jsonl"]
