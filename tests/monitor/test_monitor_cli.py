"""The monitor from the command line and in process, and ``monitor_status`` over MCP."""

from __future__ import annotations

import asyncio
import json

import anyio
import pytest

from sre_latency.cli import main
from sre_latency.store import LocalStore
from sre_latency.tools.monitor import MonitorOptions


def _saved(home):
    store = LocalStore(home)
    return [store.load_path(p) for p in store.list_paths()]


def test_one_round_with_once_saves_a_monitor_run_that_grade_and_report_read(_isolated_home, capsys):
    assert main(["monitor", "--once", "--emulate", "--location", "eu-office"]) == 0
    (run,) = _saved(_isolated_home)
    assert run.kind == "monitor" and run.complete and run.environment.location == "eu-office"
    assert run.run_id.split("-")[1:3] == ["monitor", "eu"]  # the location is in the name
    assert {label: len(p.samples) for label, p in run.providers.items()} == {
        "anthropic": 1, "openai": 1, "bedrock": 1}  # fmt: skip
    capsys.readouterr()
    assert main(["grade", run.run_id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == run.run_id
    assert main(["report", run.run_id]) == 0


def test_once_exits_1_when_every_request_of_the_round_failed(_isolated_home):
    assert main(["monitor", "--once", "--emulate", "--emulator-fault", "auth:1"]) == 1
    (run,) = _saved(_isolated_home)
    assert all(s.error.class_ == "auth" for p in run.providers.values() for s in p.samples)


@pytest.mark.parametrize(("args", "sentence"), [
    (["--once", "--listen", "127.0.0.1:0"], "--listen serves a monitor that keeps running"),
    (["--every", "0s"], "must be more than zero"),
    (["--every", "soon"], "cannot read the interval"),
    (["--rotate", "2d"], "--rotate is at most 24h"),
    (["--location", "eu office/1"], "bad --location"),
    (["--listen", "nowhere"], "--listen takes HOST:PORT"),
])  # fmt: skip
def test_odd_monitor_flags_are_one_sentence_and_exit_2(args, sentence, capsys):
    assert main(["monitor", "--emulate", *args]) == 2
    err = capsys.readouterr().err
    assert sentence in err and "Traceback" not in err


async def _rounds_until(monitor, rounds: int) -> None:
    task = asyncio.create_task(monitor.rounds())
    with anyio.fail_after(60):
        while monitor.rounds_done < rounds:
            await asyncio.sleep(0.05)
    monitor.stop()
    await task


async def test_the_monitor_goes_on_when_requests_and_whole_rounds_fail(monkeypatch, _isolated_home):
    from realservers import free_port
    from sre_latency.tools.monitor_loop import Monitor

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-not-a-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{free_port()}")  # refuses
    logged: list[str] = []
    opts = MonitorOptions(providers=["anthropic"], every="0.1s", jitter_pct=0)
    monitor = Monitor(opts, LocalStore(_isolated_home), log=logged.append)
    real_engine = monitor.engine_for
    calls = iter([RuntimeError("a bug in one probe")])

    def engine_that_fails_once(index):
        failure = next(calls, None)
        if failure is None:
            return real_engine(index)

        class Broken:
            async def run(self, on_sample):
                raise failure

        return Broken()

    monkeypatch.setattr(monitor, "engine_for", engine_that_fails_once)
    await monitor.start()
    try:
        await _rounds_until(monitor, 4)
    finally:
        await monitor.close()
    result = monitor.result()
    assert result.failed_probes == 1 and result.rounds >= 4
    assert result.requests == result.errors >= 2
    assert "probe of anthropic failed, going on: RuntimeError: a bug in one probe" in logged
    (run,) = _saved(_isolated_home)
    assert {s.error.class_ for s in run.providers["anthropic"].samples} == {"connection"}


async def test_rotation_starts_a_new_run_file_and_keeps_every_sample(_isolated_home):
    from sre_latency.tools.monitor_loop import Monitor

    opts = MonitorOptions(emulate=True, providers=["openai"], every="0.2s", rotate="0.5s",
                          jitter_pct=0, emulator_ttft_ms=1, emulator_output_tokens=2)  # fmt: skip
    monitor = Monitor(opts, LocalStore(_isolated_home), log=lambda m: None)
    await monitor.start()
    try:
        await _rounds_until(monitor, 6)
    finally:
        await monitor.close()
    runs = _saved(_isolated_home)
    assert len(runs) >= 2 and len(runs) == len(monitor.result().runs)
    seqs = sorted(s.seq for r in runs for s in r.providers["openai"].samples)
    assert seqs == list(range(monitor.result().requests))  # none lost between runs


async def test_mcp_answers_what_the_monitor_saw_for_bedrock_in_the_last_hour():
    from mcp import Client

    from sre_latency.server import build_server

    for place in ("eu-office", "us-east"):  # (a thread: main() runs its own event loop)
        args = ["monitor", "--once", "--emulate", "--location", place]
        assert await asyncio.to_thread(main, args) == 0
    async with Client(build_server()) as client:
        answer = await client.call_tool("monitor_status", {"provider": "bedrock", "last": "1h"})
        refused = await client.call_tool("monitor_status", {"monitor_url": "http://10.0.0.1:9464"})
    assert not answer.is_error, answer.content[0].text
    status = answer.structured_content
    assert [(t["location"], t["target"], t["n"]) for t in status["targets"]] == [
        ("eu-office", "bedrock", 1), ("us-east", "bedrock", 1)]  # fmt: skip
    assert status["summary"].startswith("bedrock from eu-office: 1 requests in the last 1h")
    assert len(status["runs"]) == 2
    assert refused.is_error and "on this machine" in refused.content[0].text


def test_monitor_status_reads_one_location_and_says_when_there_is_nothing(capsys):
    assert main(["monitor-status", "--json"]) == 0
    empty = json.loads(capsys.readouterr().out)
    assert empty["targets"] == [] and "no monitor runs" in empty["notes"][0]
    assert main(["monitor", "--once", "--emulate", "--location", "lab-1"]) == 0
    assert main(["monitor", "--once", "--emulate", "--location", "lab-2"]) == 0
    capsys.readouterr()
    assert main(["monitor-status", "openai", "--location", "lab-2", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [(t["location"], t["target"]) for t in status["targets"]] == [("lab-2", "openai")]
