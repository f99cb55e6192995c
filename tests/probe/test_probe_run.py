"""A measured run keeps every finished sample: when it completes, is cancelled, or is killed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sre_latency.store import LocalStore, journal_path, load_run_file
from sre_latency.tools.benchmark import BenchmarkOptions, run_benchmark, start_benchmark

QUICK = {"emulator_ttft_ms": 5.0, "emulator_itl_ms": 1.0, "emulator_output_tokens": 4}


async def test_a_finished_benchmark_is_saved_complete_with_summaries_and_no_journal():
    seen: list[tuple[str, int, int]] = []
    opts = BenchmarkOptions(emulate=True, providers=["anthropic", "openai"], n=3, warmup=1, **QUICK)
    async with asyncio.timeout(30):
        result = await run_benchmark(
            opts, lambda label, s, done, planned: seen.append((label, done, planned))
        )
    run = load_run_file(Path(result.path))
    assert run.complete and run.valid and result.complete
    assert {label: p.summary.n for label, p in run.providers.items()} == {
        "anthropic": 3,
        "openai": 3,
    }
    assert [done for _, done, _ in seen] == list(range(1, 7))
    assert {planned for *_, planned in seen} == {6}
    assert not journal_path(Path(result.path)).exists()
    assert LocalStore().latest() == Path(result.path)
    assert result.summary.startswith("EMULATED: anthropic TTFT p50")


async def test_a_cancelled_benchmark_saves_its_finished_samples_as_incomplete():
    opts = BenchmarkOptions(
        emulate=True,
        providers=["anthropic"],
        n=500,
        warmup=0,
        **{**QUICK, "emulator_ttft_ms": 20.0},
    )
    three = asyncio.Event()

    def on_sample(label, sample, finished, planned):
        if finished >= 3:
            three.set()

    async with asyncio.timeout(30):
        handle = await start_benchmark(opts, on_sample)
        await three.wait()
        handle.cancel()
        run = await handle.wait()
    finished, planned = handle.progress()
    loaded = load_run_file(Path(handle.location))
    assert planned == 500 and 3 <= finished < 500
    assert not loaded.complete and not run.complete
    assert len(loaded.providers["anthropic"].samples) == finished
    assert loaded.providers["anthropic"].summary.n == finished
    assert any("cancelled" in note for note in loaded.validity_notes)


def test_sigkill_during_a_run_leaves_a_journal_that_loads_every_finished_sample(tmp_path):
    out = tmp_path / "killed.json"
    cmd = [
        sys.executable, "-m", "sre_latency", "benchmark", "--emulate", "--providers", "anthropic",
        "-n", "1000", "--warmup", "0", "--emulator-ttft-ms", "30", "--emulator-itl-ms", "1",
        "--emulator-output-tokens", "4", "--output", str(out),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = journal_path(out)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if journal.exists() and journal.read_text().count('"type":"sample"') >= 4:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("no samples were journalled within 60 s")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    lines = [json.loads(line) for line in journal.read_text().splitlines() if line.endswith("}")]
    journalled = [rec for rec in lines if rec["type"] == "sample"]
    assert not out.exists()
    run = load_run_file(out)  # falls back to the journal
    assert not run.complete
    samples = run.providers["anthropic"].samples
    assert len(samples) == len(journalled) >= 4
    assert all(s.error is None and s.ttft_ms is not None for s in samples)


def test_sigterm_saves_the_run_with_its_finished_samples_and_exits_130(tmp_path):
    out = tmp_path / "terminated.json"
    cmd = [
        sys.executable, "-m", "sre_latency", "benchmark", "--emulate", "--providers", "openai",
        "-n", "1000", "--warmup", "0", "--emulator-ttft-ms", "30", "--emulator-itl-ms", "1",
        "--emulator-output-tokens", "4", "--output", str(out),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    journal = journal_path(out)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if journal.exists() and journal.read_text().count('"type":"sample"') >= 3:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("no samples were journalled within 60 s")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    assert proc.returncode == 130
    assert "interrupted; kept" in err
    run = load_run_file(out)
    assert not run.complete and not journal.exists()
    assert len(run.providers["openai"].samples) >= 3


async def test_a_token_in_the_gateway_url_never_reaches_the_run_file(monkeypatch):
    from sre_latency.emulator import Emulator, EmulatorProfile

    profile = EmulatorProfile.build(ttft_ms=5.0, itl_ms=1.0, output_tokens=4)
    async with Emulator(profile) as emu, asyncio.timeout(30):
        host = emu.base_url.removeprefix("http://")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://user:s3cret-pw@{host}/?key=s3cret-q")
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
        opts = BenchmarkOptions(providers=["anthropic"], n=1, warmup=0)
        result = await run_benchmark(opts)
    text = Path(result.path).read_text()
    assert "s3cret" not in text and "sk-test-key" not in text
    run = load_run_file(Path(result.path))
    assert run.providers["anthropic"].endpoint == emu.base_url + "/"
