"""The latest run is the newest measured run of the kind a command reads, wherever it was saved."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from recorded import recorded_run
from sre_latency.cli import main
from sre_latency.errors import StoreError
from sre_latency.store import LocalStore


def _runs() -> Path:
    runs = Path(os.environ["SRE_LATENCY_HOME"]) / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    return runs


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_a_custom_named_file_does_not_sort_as_newest_forever(base, slow):
    runs = _runs()
    shutil.copy(slow, runs / "nightly.json")  # measured 20:15:00
    shutil.copy(base, runs / "20261201T201456Z-benchmark-ead6.json")  # measured 20:14:56
    assert LocalStore().latest() == runs / "nightly.json"
    data = json.loads(base.read_text())
    data["created_at"] = "2026-12-02T08:00:00Z"  # measured the next morning, saved by id
    (runs / "20261202T080000Z-benchmark-0001.json").write_text(json.dumps(data))
    assert LocalStore().latest() == runs / "20261202T080000Z-benchmark-0001.json"


def test_grade_report_and_compare_read_benchmarks_not_a_later_latency_check(
    base, slow, tmp_path_factory, capsys
):
    runs = _runs()
    shutil.copy(base, runs / "a.json")
    shutil.copy(slow, runs / "b.json")
    check = json.loads(recorded_run("one", tmp_path_factory).read_text())
    check["created_at"] = "2026-12-31T00:00:00Z"  # a one-request check, measured after both
    (runs / "check.json").write_text(json.dumps(check))
    slow_id = json.loads(slow.read_text())["run_id"]
    assert main(["grade", "--json"]) == 0 and _json(capsys)["run_id"] == slow_id
    assert main(["report", "--json"]) == 0 and _json(capsys)["run_id"] == slow_id
    assert main(["compare", "--latest", "2", "--json"]) == 0
    assert [r["kind"] for r in _json(capsys)["runs"]] == ["benchmark", "benchmark"]
    assert LocalStore().latest() == runs / "check.json"  # any kind, when the kind is not said


def test_a_run_saved_with_output_elsewhere_is_found_as_the_latest(tmp_path, capsys):
    out = tmp_path / "elsewhere" / "nightly.json"
    quick = ["--emulator-ttft-ms", "5", "--emulator-itl-ms", "1", "--emulator-output-tokens", "4"]
    argv = ["benchmark", "--emulate", "--providers", "anthropic", "-n", "2", "--warmup", "0"]
    assert main([*argv, *quick, "--output", str(out), "--json"]) == 0
    run_id = _json(capsys)["run_id"]
    assert LocalStore().latest(kinds=("benchmark",)) == out
    assert main(["grade", "--json"]) == 0 and _json(capsys)["run_id"] == run_id


def test_no_benchmark_yet_says_what_there_is_and_what_to_do(tmp_path_factory):
    shutil.copy(recorded_run("one", tmp_path_factory), _runs() / "check.json")
    with pytest.raises(
        StoreError, match=r"no benchmark run .* yet, only 1 latency_check run \(name"
    ):
        LocalStore().latest(kinds=("benchmark",))
