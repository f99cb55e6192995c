"""What the README and docs/monitor.md tell a user to run and deploy stays true."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

from realservers import program

REPO = Path(__file__).resolve().parents[2]


def _block(path: Path, tag: str) -> str:
    text = path.read_text()
    match = re.search(rf"<!-- {tag} -->\s*```\w*\n(.+?)\n```\s*<!-- /{tag} -->", text, re.S)
    assert match, f"{path.name} lacks its <!-- {tag} --> block"
    return match.group(1)


def _parses(command: str) -> None:
    from sre_latency.cli import build_parser

    argv = shlex.split(command.replace("\\\n", " "))
    assert argv[0].endswith("sre-latency")
    args = build_parser(only=argv[1]).parse_args(argv[1:])  # exits 2 on an unknown flag
    assert args.command == argv[1]


def test_the_readme_monitor_one_liner_uses_only_real_flags():
    _parses(_block(REPO / "README.md", "monitor"))


def test_the_readme_scrape_config_is_a_valid_prometheus_config(tmp_path):
    config = tmp_path / "prometheus.yml"
    config.write_text(_block(REPO / "README.md", "scrape") + "\n")
    (tmp_path / "sre-latency-rules.yml").write_text(
        (REPO / "monitoring" / "sre-latency-rules.yml").read_text()
    )
    done = subprocess.run([program("promtool"), "check", "config", str(config)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_systemd_unit_in_the_docs_is_the_shipped_one_and_its_command_parses():
    unit = (REPO / "monitoring" / "sre-latency-monitor.service").read_text()
    body = "\n".join(line for line in unit.splitlines() if not line.startswith("#  ")
                     and not line.startswith("# systemd") and not line.startswith("# Credentials")
                     and not line.startswith("# AWS_PROFILE"))  # fmt: skip
    assert _block(REPO / "docs" / "monitor.md", "unit").strip() == body.strip()
    exec_start = re.search(r"^ExecStart=(.+?)(?=^\S)", unit, re.S | re.M).group(1)
    _parses(exec_start.strip())


def test_every_series_the_dashboard_queries_is_exported_or_recorded():
    from sre_latency.core.slo import default_table
    from sre_latency.monitor.prometheus import PrometheusSink
    from sre_latency.monitor.rules import rule_groups

    sink = PrometheusSink()
    sink.declare([{"provider": "bedrock", "model": "m", "target": "bedrock", "location": "x"}])
    sink.last_success.labels("bedrock", "m", "bedrock", "x").set(1)
    sink.compliance.labels("bedrock", "m", "bedrock", "x").set(1)
    exported = {s.name for m in sink.registry.collect() for s in m.samples}
    recorded = {r["record"] for r in rule_groups(default_table())["groups"][0]["rules"]}
    dashboard = json.loads((REPO / "monitoring" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 8
    for expr in exprs:
        for name in re.findall(r"sre_latency[a-z0-9_:]*", expr):
            assert name in exported | recorded, (name, expr)
