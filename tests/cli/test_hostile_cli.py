"""Hostile arguments on the command line (issue 12): every one is one sentence and exit 2."""

from __future__ import annotations

import pytest

from recorded import RUNS
from sre_latency.cli import main
from sre_latency.store import LocalStore

LONG = "x" * 5000  # longer than any file name the OS accepts
COMMANDS = [
    ["grade", LONG],
    ["grade", "--slo", LONG],
    ["grade", "--threshold", LONG],
    ["grade", "run\x00name"],
    ["compare", LONG, LONG],
    ["compare", "--latest", "2", "--dir", LONG],
    ["report", "-o", f"/tmp/{LONG}"],
    ["report", "--slo", LONG],
    ["report", LONG],
    ["latency-budget", LONG],
    ["tool-timings", "--session", LONG],
    ["tool-timings", "--log", LONG],
    ["tool-timings", "--from-transcript", LONG],
    ["benchmark", "--emulate", "-n", "1", "--output", f"/tmp/{LONG}"],
    ["install-statusline", "--settings", f"/tmp/{LONG}"],
    ["emulate", "--script", LONG],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a)[:40])
def test_a_hostile_argument_is_one_sentence_and_exit_2(argv, capsys):
    LocalStore().save(LocalStore().load_path(RUNS / "base.json"))  # a latest run to fall back on
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("sre-latency") and err.count("\n") == 1, err[:400]
    assert "Traceback" not in err and len(err) < 800


def test_a_report_of_a_single_request_says_there_is_no_rate(tmp_path, capsys):
    from sre_latency.store import load_run_file

    run = load_run_file(RUNS / "base.json")
    for p in run.providers.values():
        p.samples = p.samples[:1]
    del run.providers["openai"]
    path = LocalStore().save(run)
    for fmt in ("md", "html", "json", "csv"):
        assert main(["report", str(path), "--format", fmt, "-o", str(tmp_path / f"r.{fmt}")]) == 0
    assert "no rate" in (tmp_path / "r.md").read_text().lower()
