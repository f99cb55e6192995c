"""Ctrl-C (any number of times) ends a benchmark with its run file saved and exit code 130.

A real ``sre-latency`` process is interrupted with real signals: two SIGINTs close together (a
second Ctrl-C while the run is being saved, or ``timeout`` signalling the child and its group),
and a SIGINT every few milliseconds until the process is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sre_latency.store import load_run_file

QUICK = ["--emulator-ttft-ms", "5", "--emulator-itl-ms", "1", "--emulator-output-tokens", "4"]


def _start(home: Path) -> subprocess.Popen:
    argv = [sys.executable, "-m", "sre_latency", "benchmark", "--emulate", "-n", "500",
            "--warmup", "0", "--providers", "anthropic,openai", *QUICK]  # fmt: skip
    env = {**os.environ, "SRE_LATENCY_HOME": str(home)}
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for_samples(proc: subprocess.Popen, home: Path, count: int = 5) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        journals = [p for p in (home / "runs").glob("*.jsonl") if not p.name.startswith(".")]
        if journals and journals[0].read_bytes().count(b"\n") > count:
            return
        time.sleep(0.02)
    proc.kill()
    pytest.fail("the benchmark wrote no samples within 60 s")


def _finish(proc: subprocess.Popen, home: Path) -> tuple[str, Path]:
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    (saved,) = (home / "runs").glob("*.json")
    assert str(saved) in err and "interrupted; kept" in err
    assert not saved.with_suffix(".jsonl").exists()
    return err, saved


@pytest.mark.parametrize("gap_s", [0.0, 0.05])
def test_two_interrupts_end_with_the_run_file_written_and_exit_130(tmp_path, gap_s):
    proc = _start(tmp_path)
    _wait_for_samples(proc, tmp_path)
    proc.send_signal(signal.SIGINT)
    time.sleep(gap_s)
    proc.send_signal(signal.SIGINT)
    err, saved = _finish(proc, tmp_path)
    run = load_run_file(saved)
    kept = sum(len(p.samples) for p in run.providers.values())
    assert run.complete is False and kept >= 5 and f"kept {kept} of 1000" in err


def test_a_storm_of_interrupts_until_exit_still_saves_the_run(tmp_path):
    proc = _start(tmp_path)
    _wait_for_samples(proc, tmp_path)
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            proc.send_signal(signal.SIGINT)
        except ProcessLookupError:
            break
        time.sleep(0.005)
    _, saved = _finish(proc, tmp_path)
    assert load_run_file(saved).complete is False


def test_sigterm_is_an_interrupt_too(tmp_path):
    proc = _start(tmp_path)
    _wait_for_samples(proc, tmp_path)
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGINT)
    _finish(proc, tmp_path)
