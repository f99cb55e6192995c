"""A full disk is told truly (issue 12, item 4): the journal keeps whole lines only, and the
message says exactly how many finished samples it holds."""

from __future__ import annotations

import errno
import json
import os
import subprocess

import pytest

from recorded import RUNS
from sre_latency.cli import main
from sre_latency.store import Journal, LocalStore, load_journal, load_run_file
from sre_latency.store import files as store_files

RUN = load_run_file(RUNS / "base.json")
SAMPLES = RUN.providers["anthropic"].samples


def _disk_that_fills_after(monkeypatch, budget: int) -> None:
    """``os.write`` (as the store uses it) writes at most ``budget`` bytes in all, in short
    writes, then fails with ENOSPC, as a nearly full disk does."""
    left = {"bytes": budget}

    class NearlyFullDisk:
        def __getattr__(self, name):
            return getattr(os, name)

        def write(self, fd, data):
            if left["bytes"] <= 0:
                raise OSError(errno.ENOSPC, "No space left on device")
            n = min(len(data), left["bytes"], max(1, len(data) // 3))  # short writes
            left["bytes"] -= n
            return os.write(fd, bytes(data[:n]))

    monkeypatch.setattr(store_files, "os", NearlyFullDisk())


@pytest.mark.parametrize("budget", [3000, 5000, 9000])
def test_a_journal_on_a_full_disk_keeps_whole_lines_and_counts_them(tmp_path, monkeypatch, budget):
    path = tmp_path / "run.jsonl"
    _disk_that_fills_after(monkeypatch, budget)
    journal = Journal(path, RUN)
    for sample in SAMPLES:
        journal.append("anthropic", sample)
    journal.close()
    assert journal.error is not None and journal.error.errno == errno.ENOSPC
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])  # whole lines only
    assert len(lines) - 2 == journal.kept < len(SAMPLES)
    assert [s.seq for s in load_journal(path).providers["anthropic"].samples] == [
        s.seq for s in SAMPLES[: journal.kept]
    ]


def test_the_message_says_how_many_of_the_finished_samples_are_kept(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)
    _disk_that_fills_after(monkeypatch, 6000)
    writer = store.writer(RUN)
    for sample in SAMPLES:
        writer.append("anthropic", sample)
    kept = writer.journal.kept
    assert 0 < kept < len(SAMPLES)
    sentence = writer.kept_sentence(len(SAMPLES))
    assert f"{kept} of {len(SAMPLES)} finished samples are kept" in sentence
    assert "No space left on device" in sentence


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KB tmpfs; skipped where this process may not mount one (it needs root)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a 64 KB tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_benchmark_on_a_64_kb_disk_says_exactly_how_many_samples_it_kept(
    tiny_disk, monkeypatch, capsys
):
    monkeypatch.setenv("SRE_LATENCY_HOME", str(tiny_disk))
    argv = [
        "benchmark",
        "--emulate",
        "--providers",
        "anthropic",
        "-n",
        "150",
        "--warmup",
        "0",
        "--emulator-ttft-ms",
        "1",
        "--emulator-itl-ms",
        "0",
        "--emulator-output-tokens",
        "2",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    (journal,) = [p for p in (tiny_disk / "runs").glob("*.jsonl") if not p.name.startswith(".")]
    kept = len(load_journal(journal).providers["anthropic"].samples)
    assert 0 < kept < 150
    assert f"{kept} of 150 finished samples are kept in {journal}" in err
    assert journal.read_bytes().endswith(b"\n")
