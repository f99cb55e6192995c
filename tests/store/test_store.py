"""The run store keeps every finished sample and explains every file it cannot read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from sre_latency.core.contract import ProviderResult, Run, RunConfig, Sample, SampleError
from sre_latency.core.stats import summarize
from sre_latency.errors import StoreError
from sre_latency.store import Journal, LocalStore, environment, load_run_file, new_run_id


def _run(run_id: str = "20261123T000000Z-benchmark-abcd", created_at=None) -> Run:
    return Run(
        run_id=run_id,
        kind="benchmark",
        created_at=created_at or datetime(2026, 11, 23, tzinfo=UTC),
        config=RunConfig(providers=["anthropic"], n=3),
        environment=environment(),
        providers={
            "anthropic": ProviderResult(
                provider="anthropic", model="claude-haiku-4-5", endpoint="http://127.0.0.1:1"
            )
        },
    )


def _sample(seq: int, error: str | None = None) -> Sample:
    return Sample(
        seq=seq,
        round=seq,
        started_at=datetime(2026, 11, 23, tzinfo=UTC),
        ttfb_ms=10.0 + seq,
        ttft_ms=20.0 + seq,
        total_ms=50.0 + seq,
        error=SampleError.model_validate({"class": error, "message": "x"}) if error else None,
    )


def test_a_saved_run_loads_back_identical(tmp_path):
    store = LocalStore(tmp_path)
    run = _run()
    run.providers["anthropic"].samples = [_sample(0), _sample(1, "rate_limit")]
    run.providers["anthropic"].summary = summarize(run.providers["anthropic"].samples)
    run.complete = True
    path = store.save(run)
    assert path == tmp_path / "runs" / f"{run.run_id}.json"
    assert store.load(run.run_id) == run
    assert json.loads(path.read_text())["providers"]["anthropic"]["samples"][1]["error"][
        "class"
    ] == ("rate_limit")


def test_a_journal_cut_mid_line_keeps_every_finished_sample(tmp_path):
    store = LocalStore(tmp_path)
    run = _run()
    path = store.path_for(run.run_id)
    journal = Journal(path.with_suffix(".jsonl"), run)
    journal.append("anthropic", _sample(0))
    journal.append("anthropic", _sample(1, "overloaded"))
    journal.close()
    with open(path.with_suffix(".jsonl"), "a") as f:
        f.write('{"type":"sample","label":"anthropic","sample":{"seq":2,')  # killed mid-write

    loaded = store.load(run.run_id)
    assert loaded.complete is False
    result = loaded.providers["anthropic"]
    assert [s.seq for s in result.samples] == [0, 1]
    assert result.summary.n == 2 and result.summary.errors_by_class == {"overloaded": 1}
    assert store.latest().suffix == ".jsonl"


def test_a_foreign_json_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "package.json"
    path.write_text('{"name": "left-pad"}')
    with pytest.raises(StoreError, match=r"package\.json is not an sre-latency run file"):
        load_run_file(path)


def test_a_file_that_is_not_json_names_the_line(tmp_path):
    path = tmp_path / "run.json"
    path.write_text('{\n"schema_version": 1,\n oops')
    with pytest.raises(StoreError, match=r"run\.json is not valid JSON \(line 3\)"):
        load_run_file(path)


def test_a_run_from_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "run.json"
    data = _run().model_dump(mode="json")
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(StoreError, match="schema_version 99"):
        load_run_file(path)


def test_a_malformed_run_names_the_bad_field(tmp_path):
    path = tmp_path / "run.json"
    data = _run().model_dump(mode="json")
    data["kind"] = "party"
    path.write_text(json.dumps(data))
    with pytest.raises(StoreError, match="malformed run file: kind"):
        load_run_file(path)


def test_the_latest_run_is_the_newest_measured_and_an_empty_store_says_what_to_do(tmp_path):
    store = LocalStore(tmp_path)
    with pytest.raises(StoreError, match="benchmark --emulate"):
        store.latest()
    old = _run("20250101T000000Z-benchmark-0000", datetime(2025, 1, 1, tzinfo=UTC))
    new = _run("20261231T000000Z-benchmark-ffff", datetime(2026, 12, 31, tzinfo=UTC))
    store.save(new)
    store.save(old)
    assert store.load().run_id == new.run_id
    with pytest.raises(StoreError, match="no run named 'nope'"):
        store.resolve("nope")


def test_run_ids_sort_by_time_and_are_file_names():
    a = new_run_id("latency_check", datetime(2026, 1, 1, tzinfo=UTC))
    b = new_run_id("benchmark", datetime(2026, 1, 2, tzinfo=UTC))
    assert a < b and "/" not in a and a.startswith("20260101T000000Z-latency-check-")


def test_the_default_home_follows_sre_latency_home(monkeypatch, tmp_path):
    from sre_latency.store import default_home

    monkeypatch.setenv("SRE_LATENCY_HOME", str(tmp_path / "x"))
    assert default_home() == tmp_path / "x"
    monkeypatch.delenv("SRE_LATENCY_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_home() == tmp_path / "xdg" / "sre-latency"


def test_of_two_runs_started_in_the_same_second_the_one_written_last_is_latest(tmp_path):
    import os

    store = LocalStore(tmp_path)
    later_suffix, written_last = (
        _run("20261123T000000Z-benchmark-ffff"),
        _run("20261123T000000Z-benchmark-0000"),
    )
    a, b = store.save(later_suffix), store.save(written_last)
    os.utime(a, ns=(1_000_000_000, 1_000_000_000))
    os.utime(b, ns=(2_000_000_000, 2_000_000_000))
    assert store.latest() == b


def test_a_failed_atomic_write_leaves_no_temp_file(tmp_path):
    from sre_latency.store import write_atomic

    target = tmp_path / "taken"
    target.mkdir()  # a directory where the file should go: the rename fails
    with pytest.raises(OSError):
        write_atomic(target, "{}")
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_a_run_file_of_the_previous_schema_still_loads():
    """Schema 2 only added optional fields: the recorded runs of schema 1 read as they are."""
    from recorded import RUNS

    data = json.loads((RUNS / "base.json").read_text())
    assert data["schema_version"] == 1
    run = load_run_file(RUNS / "base.json")
    assert run.schema_version == 1 and run.providers["anthropic"].summary.n == 20
