"""`sre-latency benchmark` and `latency-check` from the command line: exit codes, JSON, sentences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sre_latency.cli import main

QUICK = ["--emulator-ttft-ms", "5", "--emulator-itl-ms", "1", "--emulator-output-tokens", "4"]


def test_a_missing_key_is_one_sentence_naming_the_variable_and_exit_2(capsys):
    assert main(["benchmark", "--providers", "anthropic", "-n", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "ANTHROPIC_API_KEY" in err and "--emulate" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_latency_check_without_any_credentials_says_what_to_set_and_exits_2(capsys):
    assert main(["latency-check"]) == 2
    err = capsys.readouterr().err
    assert "ANTHROPIC_API_KEY" in err and "--emulate" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["benchmark", "--no-such-flag"],
        ["benchmark", "--concurrency", "x"],
        ["benchmark", "--prompt-size", "huge"],
        ["latency-check", "azure"],
    ],
)
def test_bad_flags_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["benchmark", "--emulate", "--concurrency", "0"], "--concurrency"),
        (["benchmark", "--emulator-ttft-ms", "5"], "--emulate"),
        (["benchmark", "--emulate", "--providers", "azure"], "azure"),
        (["benchmark", "--emulate", "--output", "run.jsonl"], ".json"),
        (["benchmark", "--emulate", "--emulator-fault", "nonsense:2"], "fault"),
    ],
)
def test_bad_values_are_one_sentence_and_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_json_output_is_the_result_model_and_the_run_file_exists(capsys):
    assert main(["benchmark", "--emulate", "-n", "2", "--warmup", "0", "--json", *QUICK]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [row["label"] for row in result["targets"]] == ["anthropic", "openai", "bedrock"]
    assert all(row["n"] == 2 and row["ok"] == 2 for row in result["targets"])
    assert result["complete"] is True and Path(result["path"]).is_file()
    assert result["summary"]


def test_every_request_failing_exits_1(capsys):
    argv = ["benchmark", "--emulate", "--providers", "openai", "-n", "2", "--warmup", "0"]
    assert main([*argv, "--json", "--emulator-fault", "auth:1.0", *QUICK]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["targets"][0]["errors_by_class"] == {"auth": 2}


def test_the_table_names_every_target_and_the_saved_file(capsys):
    argv = ["benchmark", "--emulate", "--providers", "anthropic,openai", "-n", "2", *QUICK]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "anthropic" in out and "openai" in out and "saved" in out


def test_several_models_make_one_target_per_provider_and_model(capsys):
    argv = ["benchmark", "--emulate", "--providers", "anthropic", "--model", "haiku-4.5,sonnet-4.5"]
    assert main([*argv, "-n", "1", "--warmup", "0", "--json", *QUICK]) == 0
    labels = [row["label"] for row in json.loads(capsys.readouterr().out)["targets"]]
    assert labels == ["anthropic/haiku-4.5", "anthropic/sonnet-4.5"]


def test_latency_check_on_the_emulator_reports_each_provider_with_its_connection_setup(capsys):
    assert main(["latency-check", "--emulate", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    rows = {row["provider"]: row for row in result["providers"]}
    assert set(rows) == {"anthropic", "openai", "bedrock"}
    assert all(r["status"] == "ok" and r["connect_ms"] is not None for r in rows.values())
    assert all(r["ttft_ms"] <= r["total_ms"] for r in rows.values())
    assert Path(result["path"]).is_file()


def test_an_output_that_is_a_directory_is_refused_before_anything_is_sent(tmp_path, capsys):
    argv = ["benchmark", "--emulate", "-n", "1", "--output", str(tmp_path), *QUICK]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [] and not tmp_path.with_suffix(".jsonl").exists()


def test_an_output_below_a_regular_file_is_one_sentence_and_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    argv = ["benchmark", "--emulate", "-n", "1", "--output", str(blocker / "run.json"), *QUICK]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cannot write the run file" in err and "not a directory" in err
    assert "Traceback" not in err


def test_a_run_file_that_cannot_be_written_keeps_every_sample_in_the_journal(
    tmp_path, monkeypatch, capsys
):
    import errno

    from sre_latency import store
    from sre_latency.store import local

    def disk_full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(local, "write_atomic", disk_full)
    out = tmp_path / "run.json"
    argv = ["benchmark", "--emulate", "--providers", "openai", "-n", "3", "--warmup", "0"]
    assert main([*argv, "--output", str(out), *QUICK]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "run.jsonl" in err and "Traceback" not in err
    run = store.load_journal(out.with_suffix(".jsonl"))
    assert len(run.providers["openai"].samples) == 3 and run.complete is False


def _subparser(name: str):
    from sre_latency.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices[name]


def test_the_emulator_flag_help_states_the_defaults_emulate_really_uses():
    from sre_latency.emulator import EmulatorProfile
    from sre_latency.tools.emulation import EMULATE_PROFILE

    defaults = {**EmulatorProfile().model_dump(), **EMULATE_PROFILE}
    flags = [a for a in _subparser("benchmark")._actions if a.dest.startswith("emulator_")]
    assert len(flags) >= 6
    for action in flags:
        field = action.dest.removeprefix("emulator_")
        if field == "fault":
            continue
        if defaults[field] is None:  # a limit that is off unless set (the capacity model)
            assert "(default: no limit)" in action.help or "(default: one" in action.help
        else:
            assert f"(default {defaults[field]:g})" in action.help, action.dest


def test_latency_check_names_a_bad_flag_instead_of_calling_every_provider_unconfigured(
    monkeypatch, capsys
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    assert main(["latency-check", "--bedrock-geo", "mars"]) == 2
    err = capsys.readouterr().err
    assert "--bedrock-geo" in err and "no provider has credentials" not in err
