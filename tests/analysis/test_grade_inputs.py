"""Every analysis tool refuses a malformed or foreign run file with one sentence naming it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from calls import report
from recorded import recorded_run
from sre_latency.analysis.budget import latency_budget_from_run
from sre_latency.analysis.columns import load_columns
from sre_latency.analysis.compare import compare
from sre_latency.analysis.grade import grade
from sre_latency.cli import main
from sre_latency.errors import StoreError
from sre_latency.store import load_run_file

FIXTURES = Path(__file__).parents[1] / "fixtures" / "claude_code"
TOOLS = {
    "grade": grade,
    "report": report,
    "latency_budget": latency_budget_from_run,
    "compare": lambda p: compare([p, p]),
}


def _bad_files(tmp_path, good: Path) -> dict[str, tuple[Path, str]]:
    data = json.loads(good.read_text())
    files = {}

    def put(name: str, text: str | bytes, reason: str) -> None:
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        files[name] = (path, reason)

    put("notes.json", "this is not json", "is not valid JSON")
    put("binary.json", b"\x89PNG\r\n\x1a\n\x00\x00", "is not valid JSON")
    put("other.json", json.dumps({"name": "a package.json"}), "is not an sre-latency run file")
    future = {**data, "schema_version": 99}
    put("future.json", json.dumps(future), "has schema_version 99")
    broken = json.loads(json.dumps(data))
    broken["providers"]["openai"]["samples"][3]["ttft_ms"] = "fast"
    put("broken-sample.json", json.dumps(broken), "ttft_ms")
    long = json.loads(json.dumps(data))  # beyond the slice the data contract checks in full
    samples = long["providers"]["openai"]["samples"] * 8
    long["providers"]["openai"]["samples"] = [{**x, "seq": i} for i, x in enumerate(samples)]
    long["providers"]["openai"]["samples"][70]["ttft_ms"] = "fast"
    put("long-broken.json", json.dumps(long), "providers.openai.samples.70.ttft_ms")
    no_kind = {k: v for k, v in data.items() if k != "kind"}
    put("no-kind.json", json.dumps(no_kind), "malformed run file: kind")
    # every run kind is analysed now (capacity runs hold one step's samples per load)
    shutil.copy(FIXTURES / "a1-result.json", tmp_path / "claude-result.json")  # a real capture
    files["claude-result.json"] = (tmp_path / "claude-result.json", "not an sre-latency run")
    return files


@pytest.mark.parametrize("tool", list(TOOLS))
def test_each_tool_refuses_malformed_and_foreign_files_naming_the_file(
    tool, tmp_path, tmp_path_factory
):
    good = recorded_run("base", tmp_path_factory)
    for name, (path, reason) in _bad_files(tmp_path, good).items():
        with pytest.raises(StoreError) as caught:
            TOOLS[tool](path)
        message = str(caught.value)
        assert str(path) in message and reason in message, (name, message)
        assert "\n" not in message


def test_a_missing_run_is_one_sentence_and_exit_2(capsys):
    assert main(["report", "no-such-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sre-latency: no run named 'no-such-run'") and err.count("\n") == 1


def test_no_runs_at_all_suggests_a_benchmark(capsys):
    assert main(["grade"]) == 2
    assert "sre-latency benchmark --emulate" in capsys.readouterr().err


def test_the_fast_loader_reads_the_same_figures_as_the_data_contract(tmp_path_factory):
    path = recorded_run("faulty", tmp_path_factory)
    run, cols = load_run_file(path), load_columns(path)
    for label, p in run.providers.items():
        t = cols.targets[label]
        assert (t.n, t.n_ok) == (p.summary.n, p.summary.ok)
        assert t.errors_by_class() == p.summary.errors_by_class
        assert list(t.round) == [s.round for s in p.samples]
        ttft = [s.ttft_ms if s.ttft_ms is not None else float("nan") for s in p.samples]
        assert t.metrics["ttft_ms"].tolist() == pytest.approx(ttft, nan_ok=True)


def test_a_journal_of_an_interrupted_run_is_read_as_incomplete(tmp_path_factory, tmp_path):
    from sre_latency.store import Journal

    run = load_run_file(recorded_run("base", tmp_path_factory))
    journal = Journal(tmp_path / "cut.jsonl", run)
    for label, p in run.providers.items():
        for s in p.samples[:7]:
            journal.append(label, s)
    journal.close()
    result = grade(tmp_path / "cut.jsonl")
    assert not result.complete and [p.n for p in result.providers] == [7, 7]
    assert "run is incomplete" in result.notes[0]


@pytest.mark.parametrize("command", ["grade", "compare", "report", "latency-budget"])
def test_every_analysis_command_prints_its_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "--json" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert command in capsys.readouterr().out
