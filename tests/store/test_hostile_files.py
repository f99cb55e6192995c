"""Journals, run files and the runs listing against broken and hostile files (issue 12): each
is read as far as it is readable or refused with one sentence naming it, never a traceback."""

from __future__ import annotations

import json
import os

import pytest

from recorded import RUNS
from sre_latency.cli import main
from sre_latency.core.contract import Run
from sre_latency.store import Journal, LocalStore, load_run_file

BASE = json.loads((RUNS / "base.json").read_text())


def _journal(tmp_path, *extra: bytes) -> os.PathLike:
    """A journal of the recorded base run with 3 samples per target, then ``extra`` lines."""
    run = Run.model_validate(BASE)
    path = tmp_path / "cut.jsonl"
    journal = Journal(path, run)
    for label, p in run.providers.items():
        for sample in p.samples[:3]:
            journal.append(label, sample)
    journal.close()
    with path.open("ab") as f:
        f.write(b"".join(line + b"\n" for line in extra))
    return path


BAD_JOURNAL_LINES = {
    "null": b"null",
    "not-utf8": b'{"type":"sample","label":"anthropic","sample":"\xff"}',
    "raw-ff": b"\xff",
    "label-and-sample-objects": b'{"type":"sample","label":{},"sample":{}}',
    "sample-list": b'{"type":"sample","label":"anthropic","sample":[]}',
    "deep": b'{"type":"sample","label":"anthropic","sample":' + b"[" * 3000,
    "deep-closed": b"[" * 3000 + b"]" * 3000,
    "huge-int": b'{"type":"sample","label":"anthropic","sample":{"seq":1' + b"0" * 5000 + b"}}",
    "second-header": b'{"type":"header","run":[]}',
}


@pytest.mark.parametrize("name", sorted(BAD_JOURNAL_LINES))
def test_grading_a_journal_skips_a_hostile_line_and_keeps_every_good_sample(tmp_path, capsys, name):
    path = _journal(tmp_path, BAD_JOURNAL_LINES[name])
    assert main(["grade", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [p["n"] for p in result["providers"]] == [3, 3]


BAD_HEADERS = {
    "run-is-a-list": {"type": "header", "run": []},
    "providers-is-a-list": {"type": "header", "run": {**BASE, "providers": []}},
    "provider-is-a-string": {"type": "header", "run": {**BASE, "providers": {"a": "x"}}},
    "run-id-is-an-object": {"type": "header", "run": {**BASE, "run_id": {}, "providers": {}}},
}


@pytest.mark.parametrize("name", sorted(BAD_HEADERS))
def test_a_journal_whose_header_has_the_wrong_types_is_one_sentence(tmp_path, capsys, name):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(BAD_HEADERS[name]) + "\n")
    assert main(["grade", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and err.count("\n") == 1 and "Traceback" not in err


def _with_sample_field(field: str, raw: str, at: int = 10) -> bytes:
    """The recorded base run with ``field`` of a middle sample replaced by the JSON ``raw``."""
    text = json.dumps(BASE)
    data = json.loads(text)
    data["providers"]["openai"]["samples"][at][field] = "@@"
    return json.dumps(data).replace('"@@"', raw).encode()


BAD_RUN_FILES = {
    "401-digit-int": (_with_sample_field("ttft_ms", "1" + "0" * 400), "samples.10.ttft_ms"),
    "round-10**30": (_with_sample_field("round", "1" + "0" * 30), "samples.10.round"),
    "seq-not-a-number": (_with_sample_field("seq", '"not a number"'), "samples.10.seq"),
    "5000-digit-int": (_with_sample_field("seq", "1" * 5000), "out of range"),
    "deep": (_with_sample_field("itl_ms", "[" * 3000 + "]" * 3000), "out of range"),
    "not-utf8": (b'{"schema_version": 2, "run_id": "\xff"}', "not valid JSON"),
}


@pytest.mark.parametrize("name", sorted(BAD_RUN_FILES))
def test_a_hostile_run_file_is_one_sentence_naming_it(tmp_path, capsys, name):
    content, reason = BAD_RUN_FILES[name]
    path = tmp_path / f"{name}.json"
    path.write_bytes(content)
    assert main(["grade", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and reason in err and err.count("\n") == 1
    assert "Traceback" not in err


def test_an_epoch_started_at_that_the_contract_accepts_is_graded(tmp_path, capsys):
    path = tmp_path / "epoch.json"
    path.write_bytes(_with_sample_field("started_at", "1795435200"))
    assert main(["grade", str(path), "--json"]) == 0
    assert [p["n"] for p in json.loads(capsys.readouterr().out)["providers"]] == [20, 20]


def test_the_runs_listing_names_each_unreadable_file_and_lists_the_rest(tmp_path):
    from sre_latency.tools.run_status import runs_listing

    store = LocalStore(tmp_path)
    good = store.save(load_run_file(RUNS / "base.json"))
    for name, (content, _) in BAD_RUN_FILES.items():
        (store.runs_dir / f"{name}.json").write_bytes(content)
    (store.runs_dir / "dir.json").mkdir()
    os.mkfifo(store.runs_dir / "fifo.json")  # reading it would wait forever
    (store.runs_dir / "empty.jsonl").write_bytes(b"")
    lines = runs_listing(store, limit=100).splitlines()
    by_name = {line.split()[0]: line for line in lines}
    assert by_name[good.stem].split()[1:3] == ["benchmark", "complete"]
    unreadable = {n for n, line in by_name.items() if "unreadable:" in line}
    assert unreadable == {f"{n}.json" for n in BAD_RUN_FILES} | {
        "dir.json", "fifo.json", "empty.jsonl"}  # fmt: skip
    assert all(len(line) < 600 and "\n" not in line for line in lines)


def test_figures_near_the_float_limit_grade_without_a_warning(tmp_path, capsys):
    """Found by benchmarks/fuzz.py: 1e308 ms overflowed numpy's sd with a RuntimeWarning (an
    error under -W error)."""
    run = Run.model_validate(BASE)
    journal = Journal(tmp_path / "huge.jsonl", run)
    for sample in run.providers["anthropic"].samples[:3]:
        journal.append("anthropic", sample.model_copy(update={"ttft_ms": 1.7e308}))
    journal.close()
    assert main(["grade", str(journal.path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["providers"][0]["n"] == 3
