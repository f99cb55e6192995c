"""Runs from several locations merged by place: ``compare --by location``, ``report --by
location``, and the location each run records."""

from __future__ import annotations

import json

import pytest

from sre_latency.cli import main
from sre_latency.store import LocalStore


def _monitor_once(place: str, ttft_ms: int, times: int = 2) -> None:
    for _ in range(times):
        assert main(["monitor", "--once", "--emulate", "--location", place, "--providers",
                     "anthropic,bedrock", "--emulator-ttft-ms", str(ttft_ms)]) == 0  # fmt: skip


@pytest.fixture
def two_places(_isolated_home, capsys):
    _monitor_once("eu-office", 20)
    _monitor_once("us-east", 60)
    capsys.readouterr()
    return LocalStore(_isolated_home)


def test_a_benchmark_records_the_location_it_ran_from(monkeypatch, _isolated_home):
    monkeypatch.setenv("SRE_LATENCY_LOCATION", "lab-3")
    assert main(["benchmark", "--emulate", "-n", "1", "--warmup", "0"]) == 0
    store = LocalStore(_isolated_home)
    assert store.load().environment.location == "lab-3"


def test_compare_by_location_pools_each_places_runs_and_says_where_they_came_from(
    two_places, capsys
):
    assert main(["compare", "--latest", "4", "--by", "location", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in result["runs"]] == ["eu-office", "us-east"]
    assert [r["n"] for r in result["runs"]] == [4, 4]  # 2 runs × 2 targets per place
    sources = [n for n in result["notes"] if n.startswith("runs from")]
    assert len(sources) == 2 and "eu-office: 2 run(s), n=4" in sources[0]
    assert all(p.stem in " ".join(sources) for p in two_places.list_paths())
    assert result["summary"].startswith("By location (eu-office, us-east): ")
    bedrock = next(t for t in result["targets"] if t["label"] == "bedrock")
    ttft_p50 = next(d for d in bedrock["deltas"]["us-east"] if d["metric"] == "ttft_ms p50")
    assert ttft_p50["delta"] > 30  # the emulator answered us-east 40 ms later


def test_report_by_location_shows_every_target_once_per_place(two_places, capsys):
    assert main(["report", "--by", "location", "--latest", "4", "--format", "json",
                 "--json"]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert sorted(t["label"] for t in result["targets"]) == [
        "anthropic @ eu-office", "anthropic @ us-east", "bedrock @ eu-office", "bedrock @ us-east"]  # fmt: skip
    assert any(n.startswith("runs from us-east: 2 run(s)") for n in result["notes"])


def test_by_location_needs_two_places_and_the_right_flags(_isolated_home, capsys):
    _monitor_once("solo", 20)
    capsys.readouterr()
    assert main(["compare", "--latest", "2", "--by", "location"]) == 2
    assert "two or more locations" in capsys.readouterr().err
    assert main(["report", "--by", "location"]) == 2
    assert "give --latest N" in capsys.readouterr().err
    assert main(["report", "--latest", "2"]) == 2
    assert "--by location" in capsys.readouterr().err
