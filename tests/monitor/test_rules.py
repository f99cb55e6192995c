"""The generated Prometheus rules pass promtool and count what the monitor exports."""

from __future__ import annotations

import subprocess
from pathlib import Path

from realservers import program
from sre_latency.cli import main

REPO = Path(__file__).resolve().parents[2]


def _promtool_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([program("promtool"), "check", "rules", str(path)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_promtool_accepts_the_rules_generated_from_the_default_slo_table(tmp_path):
    out = tmp_path / "rules.yml"
    assert main(["slo-rules", "-o", str(out)]) == 0
    checked = _promtool_check(out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # availability and TTFT: the default goodput has no total-time bound
    assert "SUCCESS: 14 rules found" in checked.stdout


def test_promtool_accepts_rules_from_an_slo_file_with_its_objective_and_bounds(tmp_path):
    slo = tmp_path / "slo.toml"
    slo.write_text("objective = 0.995\n\n[goodput]\nttft_ms = 800\nitl_ms = 40\noutput_tps = 30\n")
    out = tmp_path / "rules.yml"
    assert main(["slo-rules", str(slo), "--fast-windows", "2h/10m", "-o", str(out)]) == 0
    text = out.read_text()
    assert _promtool_check(out).returncode == 0
    assert 'sre_latency_ttft_seconds_bucket{le="0.8"}[10m]' in text
    assert 'sre_latency_itl_seconds_bucket{le="0.04"}' in text
    assert "sre_latency:slo_bad:ratio_rate2h / 0.005" in text  # the budget is 1 - objective
    assert "output_tps" not in text.split("groups:", 1)[1]  # no histogram counts it


def test_the_le_labels_of_the_rules_are_the_ones_prometheus_client_writes():
    from sre_latency.monitor.buckets import DURATION_S, ITL_S, TTFT_S
    from sre_latency.monitor.prometheus import bucket_label
    from sre_latency.monitor.rules import go_float

    for bound in (*TTFT_S, *DURATION_S, *ITL_S, 0.8, 0.04):
        assert go_float(bound) == bucket_label(bound)


def test_the_shipped_rule_file_is_what_slo_rules_writes_for_the_default_table(tmp_path):
    out = tmp_path / "rules.yml"
    assert main(["slo-rules", "-o", str(out)]) == 0
    assert (REPO / "monitoring" / "sre-latency-rules.yml").read_text() == out.read_text()


def test_a_bad_window_or_objective_is_one_sentence(tmp_path, capsys):
    assert main(["slo-rules", "--fast-windows", "5m/1h"]) == 2
    assert "shorter" in capsys.readouterr().err
    slo = tmp_path / "slo.toml"
    slo.write_text("objective = 99\n")
    assert main(["slo-rules", str(slo)]) == 2
    assert "a fraction such as 0.99" in capsys.readouterr().err
