"""``sre-latency emulate``: bad flags exit 2 with one sentence; it runs as a process until SIGTERM."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys

import httpx2
import pytest

from sre_latency.cli import main


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        (["--fault", "nope:0.1"], "unknown fault 'nope'"),
        (["--fault", "server"], "expected NAME:RATE"),
        (["--fault", "server:lots"], "is not a number"),
        (["--fault", "server:0.7", "--fault", "auth:0.7"], "add up to 1.4"),
        (["--host", "0.0.0.0"], "only listens on"),
        (["--ttft-ms", "-1"], "--ttft-ms"),
    ],
)
def test_bad_emulate_flags_exit_2_with_one_sentence(flags, reason, capsys):
    assert main(["emulate", "--port", "0", *flags]) == 2
    err = capsys.readouterr().err
    assert reason in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def read_line(stream, timeout_s: float) -> str:
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    try:
        if not selector.select(timeout_s):
            raise AssertionError(f"no output within {timeout_s} s")
        return stream.readline()
    finally:
        selector.close()


def test_emulate_process_prints_its_url_serves_and_stops_on_sigterm():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "sre_latency", "emulate", "--port", "0", "--ttft-ms", "1"]
    proc = subprocess.Popen(
        [*command, "--output-tokens", "3", "--log-requests"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = read_line(proc.stdout, 20)
        assert line.startswith("sre-latency emulator listening on http://127.0.0.1:")
        url = line.split()[-1]
        response = httpx2.post(
            f"{url}/v1/messages",
            json={"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]},
            headers={"x-api-key": "dummy"},
            timeout=10,
        )
        assert response.status_code == 200
        assert response.json()["usage"]["output_tokens"] == 3
        records = httpx2.get(f"{url}/_emulator/records", timeout=10).json()["records"]
        assert records[0]["request_id"] == response.headers["request-id"]
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "stopped after 1 requests" in err
    assert "#1 anthropic POST /v1/messages status=200 fault=- outcome=ok" in err


def test_every_profile_setting_is_a_flag_with_its_default_except_the_secrets():
    from sre_latency.cli import build_parser
    from sre_latency.emulator import EmulatorProfile

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    flags = {a.dest: a for a in sub.choices["emulate"]._actions}
    for name, info in EmulatorProfile.model_fields.items():
        if name in ("aws_secret_access_key", "aws_bearer_token"):
            assert name not in flags, name  # a process's arguments are visible to every user
        elif name != "faults":
            assert name in flags, name
            if info.default not in (None, False):
                assert f"(default: {info.default})" in flags[name].help, name


def test_the_emulators_own_secrets_come_from_its_environment_never_its_arguments():
    token = "emulator-canary-bearer-7"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SRE_LATENCY_EMULATOR_AWS_BEARER_TOKEN": token}
    command = [sys.executable, "-m", "sre_latency", "emulate", "--port", "0", "--ttft-ms", "1"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)  # fmt: skip
    try:
        url = read_line(proc.stdout, 20).split()[-1]
        body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 4,
                "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip
        status = {
            given: httpx2.post(f"{url}/model/m/invoke", json=body, timeout=10,
                               headers={"authorization": f"Bearer {given}"}).status_code
            for given in (token, "emulator-bedrock-api-key")
        }  # fmt: skip
        profile = httpx2.get(f"{url}/_emulator/profile", timeout=10).text
        with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
            arguments = f.read()
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=20)
    assert status == {token: 200, "emulator-bedrock-api-key": 403}
    assert token not in profile and token.encode() not in arguments
