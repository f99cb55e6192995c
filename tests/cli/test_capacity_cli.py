"""`sre-latency capacity` against the emulator's capacity model: it finds the known answer."""

from __future__ import annotations

import json

import anyio
import pytest
from mcp.client import Client

from sre_latency.cli import main
from sre_latency.emulator import EmulatorProfile
from sre_latency.emulator.capacity import sustainable_rate_per_s
from sre_latency.server import build_server

# 2 generation slots of 50 ms + 9 × 5 ms: the emulator sustains 2 / 0.095 s ≈ 21 req/s
PROFILE = {"ttft_ms": 50, "itl_ms": 5, "output_tokens": 10, "capacity": 2, "queue_limit": 50}
SEARCH = ["--slo", "ttft_ms p90 < 150", "--start", "8", "--max-rate", "64", "--step-s", "2",
          "--arrival", "constant", "--warmup", "1", "--resolution", "0.1"]  # fmt: skip


def emulate_flags(profile: dict) -> list[str]:
    out = ["--emulate"]
    for k, v in profile.items():
        out += [f"--emulator-{k.replace('_', '-')}", str(v)]
    return out


def test_capacity_finds_the_emulators_known_capacity_within_one_step(capsys):
    truth = sustainable_rate_per_s(EmulatorProfile.build(**PROFILE))
    assert truth == pytest.approx(21.05, abs=0.01)
    assert main(["capacity", *emulate_flags(PROFILE), *SEARCH, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    lo, hi = result["capacity"], result["bracket_high"]
    assert lo is not None and hi is not None
    assert lo / 1.1 <= truth <= hi * 1.1  # the bracket holds the truth, give or take one step
    assert hi <= lo * 1.1 + 1e-9
    loads = [s["load"] for s in result["steps"]]
    assert loads[:3] == [8, 16, 32]  # doubling, then bisection
    assert any(s["stopped_early"] for s in result["steps"] if not s["holds"])
    assert result["answer"].startswith(f"sustains {lo:g} req/s [")
    assert "p90 needs at least 30 requests" in result["why_requests_per_step"]
    with open(result["path"]) as f:
        run = json.load(f)
    assert run["kind"] == "capacity" and run["extra"]["capacity"]["answer"] == result["answer"]
    assert [s["verdict"].split(":")[0] for s in run["steps"]] == [
        "holds" if s["holds"] else "breached" for s in result["steps"]
    ]
    assert main(["report", result["path"], "--format", "md"]) == 0
    assert "**Capacity:** sustains" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [([], "--slo"), (["--slo", "ttft_ms p99 > 5"], "from above"),
     (["--slo", "ttft_ms p99 < 900", "--start", "9", "--max-rate", "4"], "--start"),
     (["--slo", "no-such-file.toml"], "no-such-file.toml")],
)  # fmt: skip
def test_a_search_that_cannot_run_is_one_sentence_and_exit_2(argv, fragment, capsys):
    assert main(["capacity", "--emulate", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1 and "Traceback" not in err


async def test_over_mcp_a_search_goes_on_in_the_background_and_run_status_gives_the_answer():
    args = {"emulate": True, "slo": "ttft_ms p50 < 150", "start": 4, "max_rate": 8,
            "step_s": 0, "min_requests": 5, "warmup": 0, "arrival": "constant",
            **{f"emulator_{k}": v for k, v in PROFILE.items()}}  # fmt: skip
    async with Client(build_server()) as client:
        with anyio.fail_after(60):
            first = await client.call_tool("capacity", {**args, "max_seconds": 0})
        assert not first.is_error, first.content[0].text
        run_id = first.structured_content["run_id"]
        with anyio.fail_after(120):
            while True:
                status = (await client.call_tool("run_status", {"run": run_id})).structured_content
                if status["state"] != "running":
                    break
                await anyio.sleep(0.2)
    assert status["state"] == "done" and status["kind"] == "capacity"
    answer = status["capacity"]["answer"]
    assert answer.startswith("sustains at least 8 req/s") and answer in status["summary"]
