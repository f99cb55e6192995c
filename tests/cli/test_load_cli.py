"""`benchmark` under load from the command line: rates, durations, sweeps, watched processes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import psutil
import pytest

from sre_latency.cli import main

QUICK = ["--emulate", "--providers", "anthropic", "--emulator-ttft-ms", "5",
         "--emulator-itl-ms", "1", "--emulator-output-tokens", "4", "--warmup", "1"]  # fmt: skip


def run_json(argv, capsys) -> dict:
    assert main(["benchmark", *QUICK, *argv, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    with open(result["path"]) as f:
        return json.load(f)


def test_a_rate_run_records_planned_and_actual_send_times_and_per_second_windows(capsys):
    run = run_json(["--rate", "20", "--arrival", "constant", "-n", "10"], capsys)
    assert (run["config"]["rate_per_s"], run["config"]["arrival"]) == (20.0, "constant")
    samples = run["providers"]["anthropic"]["samples"]
    assert sorted(s["intended_send_s"] for s in samples) == [i / 20 for i in range(10)]
    assert all(s["send_s"] >= s["intended_send_s"] for s in samples)
    windows = run["timeseries"]["targets"]["anthropic"]
    assert sum(w["started"] for w in windows) == sum(w["finished"] for w in windows) == 10
    assert sum(w["ttft_n"] for w in windows) == 10
    assert "client" in run["timeseries"]["processes"]
    assert run["client_health"]["late_sends"] is not None


def test_a_rate_sweep_is_one_run_file_with_one_step_per_rate(capsys):
    run = run_json(["--sweep", "rate=10,20", "-n", "5", "--providers", "anthropic,openai"], capsys)
    assert [(s["loop"], s["rate_per_s"], s["finished"]) for s in run["steps"]] == [
        ("open", 10.0, 10), ("open", 20.0, 10)
    ]  # fmt: skip
    for target in ("anthropic", "openai"):
        samples = run["providers"][target]["samples"]
        assert sorted(s["step"] for s in samples) == [0] * 5 + [1] * 5
        assert len({s["round"] for s in samples}) == 10  # rounds stay unique across steps
    assert run["complete"] is True


def test_a_concurrency_sweep_steps_through_closed_loops(capsys):
    run = run_json(["--sweep", "concurrency=1,3", "-n", "3"], capsys)
    assert [(s["loop"], s["concurrency"]) for s in run["steps"]] == [("closed", 1), ("closed", 3)]
    assert all(s["intended_send_s"] is None for s in run["providers"]["anthropic"]["samples"])


def test_a_closed_loop_duration_keeps_sending_and_is_complete(capsys):
    run = run_json(["--duration", "1s", "--concurrency", "2"], capsys)
    samples = run["providers"]["anthropic"]["samples"]
    assert len(samples) > 20  # about 10 ms per request, two at a time, for a second
    assert run["complete"] is True and run["config"]["duration_s"] == 1.0


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--sweep", "speed=1,2"], "--sweep"),
        (["--sweep", "rate=1,x"], "numbers"),
        (["--sweep", "rate=1", "--rate", "2"], "drop --rate"),
        (["--rate", "1", "--arrival", "gamma:x"], "gamma"),
        (["--arrival", "constant"], "--rate"),
        (["-n", "5", "--duration", "1m"], "alternatives"),
        (["--duration", "5x"], "--duration"),
        (["--rate", "0"], "--rate"),
    ],
)
def test_contradicting_or_bad_load_options_are_one_sentence_and_exit_2(argv, fragment, capsys):
    assert main(["benchmark", *QUICK, *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_a_pid_that_is_gone_is_refused_before_anything_is_sent(capsys):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(10)
    assert main(["benchmark", *QUICK, "--watch-pid", str(proc.pid)]) == 2
    assert "no such process" in capsys.readouterr().err


def test_a_watched_command_is_started_sampled_beside_the_load_and_stopped(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = f"{sys.executable} -m http.server {port} --bind 127.0.0.1"
    run = run_json(["--duration", "2.5s", "--watch-cmd", command], capsys)
    processes = run["timeseries"]["processes"]
    name = next(k for k in processes if k.endswith("--watch-cmd)"))
    assert name.startswith("python")  # the program's name, never its arguments
    assert processes[name] and all(w["rss_bytes"] for w in processes[name])
    pid = int(name.split("pid ")[1].split(",")[0])
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_the_result_carries_throughput_per_target_and_overall_and_says_it(capsys):
    argv = ["benchmark", *QUICK, "--providers", "anthropic,openai", "-n", "5", "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    overall = result["throughput"]
    assert overall["n"] == 10 and overall["request_rate_per_s"] > 0
    assert all(t["request_rate_per_s"] > 0 for t in result["targets"])
    assert "req/s" in result["summary"] and "goodput" in result["summary"]
    assert main(["benchmark", *QUICK, "-n", "3"]) == 0
    assert "overall: " in capsys.readouterr().out
