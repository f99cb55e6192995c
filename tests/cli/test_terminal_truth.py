"""What the terminal shows is whole and true: no cut labels or numbers, errors explained, hints."""

from __future__ import annotations

import io
import json
import re
import socket
from datetime import UTC, datetime

import pytest

from recorded import recorded_run
from sre_latency.cli import main
from sre_latency.store import load_run_file

QUICK = ["--emulator-ttft-ms", "5", "--emulator-itl-ms", "1", "--emulator-output-tokens", "4"]


def _benchmark_result(name: str, tmp_path_factory):
    from sre_latency.tools.benchmark import benchmark_result

    path = recorded_run(name, tmp_path_factory)
    run = load_run_file(path)
    n = sum(p.summary.n for p in run.providers.values())
    return benchmark_result(run, path, n, n)


def _rendered(result, width: int, module: str = "benchmark") -> str:
    import importlib

    from rich.console import Console

    buf = io.StringIO()
    con = Console(file=buf, width=width, highlight=False, soft_wrap=True)
    importlib.import_module(f"sre_latency.cli.render.{module}").render(con, result)
    return buf.getvalue()


@pytest.mark.parametrize("width", [80, 120])
def test_six_targets_print_every_label_and_figure_whole(width, tmp_path_factory):
    result = _benchmark_result("models", tmp_path_factory)
    out = _rendered(result, width)
    assert "…" not in out
    for row in result.targets:
        assert re.search(rf"(^|\s){re.escape(row.label)}(\s|$)", out, re.M), row.label
        assert f"{row.ttft_p50_ms:.1f}" in out and f"{row.request_rate_per_s:.2f}" in out
    for sentence in result.comparisons:  # each CI sentence on one line, never broken
        assert f"  {sentence}\n" in out


def test_piped_cli_output_is_80_columns_and_cuts_nothing(tmp_path_factory, capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    models = recorded_run("models", tmp_path_factory)
    again = models.with_name("again.json")
    again.write_bytes(models.read_bytes())
    for argv in (["grade", str(models)], ["compare", str(models), str(again)]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "…" not in out, argv
        assert "anthropic/sonnet-4.5" in out and "bedrock/haiku-4.5" in out


def test_like_for_like_comparisons_come_first_with_several_models(tmp_path_factory):
    result = _benchmark_result("models", tmp_path_factory)  # 3 providers × haiku, sonnet
    first = result.comparisons[:8]
    # the same model on another provider: openai +20 ms and bedrock +10 ms, for both models
    for model in ("haiku-4.5", "sonnet-4.5"):
        for other in ("openai", "bedrock"):
            assert any(s.startswith(f"{other}/{model} is slower than anthropic/{model} on TTFT")
                       for s in first), (other, model)  # fmt: skip
    assert all("median paired difference" in s for s in result.comparisons)


def test_the_benchmark_result_carries_rates_conditions_and_the_emulated_mark(tmp_path_factory):
    result = _benchmark_result("base", tmp_path_factory)
    data = json.loads(result.model_dump_json())
    assert data["emulated"] is True and data["summary"].startswith("EMULATED: ")
    assert data["conditions"]["max_tokens"] == 8 and data["conditions"]["input_tokens"] == 61
    overall = data["throughput"]
    assert overall["request_rate_per_s"] == pytest.approx(
        sum(t["request_rate_per_s"] for t in data["targets"])
    )
    assert overall["output_tokens_per_s"] > 0 and overall["goodput_per_s"] is not None
    assert "req/s" in data["summary"] and "output tok/s" in data["summary"]
    out = _rendered(result, 120)
    assert "EMULATED" in out.splitlines()[0] and "conditions: EMULATED · concurrency 1" in out


def test_cold_runs_show_their_connection_set_up_in_the_table(tmp_path_factory):
    result = _benchmark_result("cold", tmp_path_factory)
    out = _rendered(result, 120)
    assert "connect" in out
    for row in result.targets:
        assert f"{row.connect_p50_ms:.1f}" in out


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_wrong_endpoint_is_explained_under_the_table_with_its_host(monkeypatch, capsys):
    port = _closed_port()  # nothing listens there: every request is refused
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-not-a-key")
    argv = ["benchmark", "--providers", "anthropic", "-n", "2", "--warmup", "0"]
    assert main([*argv, "--timeout-s", "5", "--connect-timeout-s", "2"]) == 1
    out = capsys.readouterr().out
    assert "errors (one example per class and target):" in out
    assert re.search(rf"anthropic · connection ×2 · 127\.0\.0\.1:{port}: \S", out)


@pytest.mark.parametrize(("typed", "hint"), [("haiku-9", "haiku-4.5"), ("sonet-4.5", "sonnet-4.5")])
def test_a_model_typo_is_refused_with_the_closest_name(typed, hint, capsys):
    assert main(["benchmark", "--emulate", "--model", typed, "-n", "1", *QUICK]) == 2
    err = capsys.readouterr().err
    assert f"did you mean {hint}?" in err.lower() and "--model-id" in err
    assert len(err.strip().splitlines()) == 1


def test_model_id_sends_a_raw_id_and_full_ids_pass(capsys):
    argv = ["benchmark", "--emulate", "--providers", "openai", "-n", "1", "--warmup", "0", *QUICK]
    assert main([*argv, "--model-id", "gpt-4o-mini", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["targets"][0]["model"] == "gpt-4o-mini"
    assert main([*argv, "--model", "claude-haiku-4-5-20251001", "--json"]) == 0


@pytest.mark.parametrize("flag", ["--providers", "--model"])
def test_a_list_that_names_nothing_is_refused(flag, capsys):
    assert main(["benchmark", "--emulate", flag, ",", "-n", "1", *QUICK]) == 2
    assert f"bad {flag}: names no" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("alias", "providers"),
    [("direct", ["anthropic"]), ("both", ["anthropic", "openai", "bedrock"])],
)
def test_the_original_plugins_provider_names_still_work(alias, providers, capsys):
    argv = ["benchmark", "--emulate", "--providers", alias, "-n", "1", "--warmup", "0", *QUICK]
    assert main([*argv, "--json"]) == 0
    assert [t["provider"] for t in json.loads(capsys.readouterr().out)["targets"]] == providers


def _subparsers():
    import argparse

    from sre_latency.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return {name: p for name, p in sub.choices.items() if name != "serve"}, argparse


def test_every_flag_says_its_default_and_numbers_say_their_unit():
    parsers, argparse = _subparsers()
    units = re.compile(r"\b(ms|seconds?|s|tokens?|requests?|percent|tok/s|N|runs?|sessions?|"
                       r"seed|port|records?|deltas?|steps?)\b|%")  # fmt: skip
    for name, parser in parsers.items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction) or action.dest == "json":
                continue
            text = action.help or ""
            if not isinstance(action, argparse._StoreTrueAction):
                assert re.search(r"\bdefault\b", text, re.I), (name, action.dest, text)
            if action.type in (int, float):
                assert units.search(text), (name, action.dest, text)
    help_text = {n: p.format_help() for n, p in parsers.items()}
    assert "95 %" in help_text["compare"] and "(default: md)" in help_text["report"]
    assert re.search(r"small\s+\(about\s+\d+\s+input\s+tokens\)", help_text["benchmark"])
    assert "(default: 0.0)" in help_text["emulate"]  # a default of 0 is a default too


def _progress_lines(width: int, labels: list[str]) -> list[str]:
    """The progress display after 40 requests per target in 12 s, at ``width`` columns."""
    from rich.console import Console

    from sre_latency.cli.progress import RunBar
    from sre_latency.core.contract import Sample
    from sre_latency.tools.runs import ProgressTracker

    tracker = ProgressTracker(per_target_planned=2000)
    now = [0.0]
    bar = RunBar(tracker, enabled=False, clock=lambda: now[0])
    with bar.running("benchmark 20261201T204042Z-benchmark-b4f4", 2000 * len(labels)):
        for i in range(40 * len(labels)):
            sample = Sample(seq=i, round=i // len(labels), started_at=datetime.now(UTC),
                            ttft_ms=100.0 + i % 7)  # fmt: skip
            tracker(labels[i % len(labels)], sample, i + 1, 2000 * len(labels))
        now[0] = 12.0  # every request finished at t=0 in this fake, the display drawn at t=12
        buf = io.StringIO()
        Console(file=buf, width=width, force_terminal=True, color_system=None).print(
            bar.renderable()
        )
    return buf.getvalue().splitlines()


@pytest.mark.parametrize(
    ("width", "labels"),
    [(80, ["anthropic", "openai", "bedrock"]),
     (120, [f"{p}/{m}" for p in ("anthropic", "openai", "bedrock")
            for m in ("haiku-4.5", "sonnet-4.5")])],
)  # fmt: skip
def test_the_progress_line_keeps_count_rate_and_eta_whole_with_one_line_per_target(width, labels):
    lines = _progress_lines(width, labels)
    done = 40 * len(labels)
    assert lines[1].startswith(f"{done}/{2000 * len(labels):,} (")
    # the rate since the first request finished (at t=0 here): warm-up is not in it
    assert f"{(done - 1) / 12:.1f} req/s" in lines[1] and "ETA 0:" in lines[1]
    assert [line.split()[0] for line in lines[2:]] == labels  # one line each, stable order
    assert all(len(line) <= width for line in lines)
