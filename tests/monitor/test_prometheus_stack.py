"""Debian's real Prometheus scrapes a running ``monitor --emulate`` and evaluates our rules.

One stack per module, all on 127.0.0.1 free ports: the monitor probes the emulator every second
with half of its requests failing (``--emulator-fault server:0.5``); Prometheus scrapes it every
second and evaluates the rules of ``slo-rules`` twice over: with windows of seconds (so the
fast-burn alert can fire within a test) and with the default windows (the dashboard's burn-rate
panels read those). Both processes are stopped by their PID at the end.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from realservers import child_env, cli, free_port, program, stop, wait_until
from sre_latency.cli import main

pytestmark = pytest.mark.e2e  # runs Debian's prometheus
REPO = Path(__file__).resolve().parents[2]
PROVIDERS = {"anthropic", "bedrock", "openai"}


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.read()
    except OSError:
        return None


def _monitor(home: Path, port: int, log) -> subprocess.Popen:
    return subprocess.Popen(
        cli("monitor", "--emulate", "--every", "1s", "--jitter-pct", "0", "--location", "lab",
            "--listen", f"127.0.0.1:{port}", "--emulator-fault", "server:0.5",
            "--emulator-ttft-ms", "20", "--emulator-itl-ms", "2", "--emulator-output-tokens", "8"),
        env=child_env(SRE_LATENCY_HOME=str(home)), stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip


def _prometheus_config(tmp: Path, monitor_port: int) -> Path:
    fast = tmp / "rules-short.yml"
    assert main(["slo-rules", "--fast-windows", "10s/5s", "--slow-windows", "1m/30s",
                 "-o", str(fast)]) == 0  # fmt: skip
    config = tmp / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: [{json.dumps(str(fast))}, "
        f"{json.dumps(str(REPO / 'monitoring' / 'sre-latency-rules.yml'))}]\n"
        "scrape_configs:\n  - job_name: sre-latency\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{monitor_port}']}}]\n"
    )
    return config


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    prometheus = program("prometheus")
    tmp = tmp_path_factory.mktemp("stack")
    mport, pport = free_port(), free_port()
    with (tmp / "monitor.err").open("wb") as mlog, (tmp / "prometheus.log").open("wb") as plog:
        monitor = _monitor(tmp / "home", mport, mlog)
        prom = None
        try:
            wait_until(lambda: monitor.poll() is not None or _get(f"http://127.0.0.1:{mport}/healthz"),
                       60, "the monitor's /healthz")  # fmt: skip
            assert monitor.poll() is None, (tmp / "monitor.err").read_text()
            prom = subprocess.Popen(
                [prometheus, f"--config.file={_prometheus_config(tmp, mport)}",
                 f"--storage.tsdb.path={tmp / 'tsdb'}", f"--web.listen-address=127.0.0.1:{pport}"],
                stdout=plog, stderr=plog,
            )  # fmt: skip
            url = f"http://127.0.0.1:{pport}"
            wait_until(lambda: _get(f"{url}/-/ready"), 60, "Prometheus to be ready")
            yield {"prometheus": url, "monitor": f"http://127.0.0.1:{mport}", "monitor_proc": monitor,
                   "home": tmp / "home", "log": tmp / "monitor.err"}  # fmt: skip
        finally:
            if prom is not None:
                stop(prom)
            stop(monitor)


def _query(stack, promql: str) -> list[dict]:
    qs = urllib.parse.urlencode({"query": promql})
    body = _get(f"{stack['prometheus']}/api/v1/query?{qs}")
    assert body is not None, f"Prometheus did not answer {promql!r}"
    answer = json.loads(body)
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def test_prometheus_sees_ttft_buckets_of_every_provider_with_the_monitor_labels(stack):
    def seen():
        rows = _query(stack, "sum by (provider, location) (sre_latency_ttft_seconds_count) > 0")
        return rows if {r["metric"]["provider"] for r in rows} == PROVIDERS else None

    rows = wait_until(seen, 90, "TTFT observations of every provider")
    assert {r["metric"]["location"] for r in rows} == {"lab"}
    buckets = _query(stack, 'count by (provider) (sre_latency_ttft_seconds_bucket{le="2.5"})')
    assert {b["metric"]["provider"] for b in buckets} == PROVIDERS
    errors = _query(stack, 'sum by (class) (sre_latency_errors_total{class="server"}) > 0')
    assert [e["metric"]["class"] for e in errors] == ["server"]


def test_the_fast_burn_alert_fires_when_the_emulator_injects_errors(stack):
    def firing():
        body = _get(f"{stack['prometheus']}/api/v1/alerts")
        alerts = json.loads(body)["data"]["alerts"] if body else []
        return [a for a in alerts if a["labels"]["alertname"] == "SreLatencyFastBurn"
                and a["state"] == "firing"]  # fmt: skip

    alerts = wait_until(firing, 120, "SreLatencyFastBurn to fire")
    assert {a["labels"]["sli"] for a in alerts} == {"availability"}  # TTFT is fast: no latency burn
    assert {a["labels"]["severity"] for a in alerts} == {"page"}
    assert {a["labels"]["target"] for a in alerts} <= PROVIDERS


def _dashboard_queries() -> list[tuple[str, str]]:
    dashboard = json.loads((REPO / "monitoring" / "grafana-dashboard.json").read_text())
    out = []
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = target["expr"].replace("$__rate_interval", "30s")
            out.append((panel["title"], re.sub(r"\$(location|provider)", ".*", expr)))
    return out


def test_every_panel_of_the_shipped_grafana_dashboard_queries_real_series(stack):
    wait_until(lambda: _query(stack, "sre_latency:slo_burn:rate1h"), 90, "the burn-rate records")
    for title, expr in _dashboard_queries():
        assert _query(stack, expr), f"panel {title!r} finds no series: {expr}"


def test_the_monitors_rolling_window_answers_what_it_saw_for_bedrock(stack):
    from sre_latency.monitor.status import MonitorStatus

    body = _get(f"{stack['monitor']}/status?provider=bedrock&last=1h")
    status = MonitorStatus.model_validate_json(body)
    (row,) = status.targets
    assert (row.target, row.location) == ("bedrock", "lab")
    assert row.n >= 1 and row.errors_by_class.keys() <= {"server"}
    assert "bedrock from lab:" in status.summary


def test_sigterm_stops_the_monitor_cleanly_and_saves_its_run(stack):
    from sre_latency.store import LocalStore

    proc = stack["monitor_proc"]
    assert stop(proc) == 0, stack["log"].read_text()[-2000:]
    (path,) = LocalStore(stack["home"]).list_paths()
    assert path.suffix == ".json"  # the run file, its journal removed
    run = LocalStore(stack["home"]).load_path(path)
    assert run.kind == "monitor" and run.complete and run.environment.location == "lab"
    assert {p.provider for p in run.providers.values()} == PROVIDERS
    n = [len(p.samples) for p in run.providers.values()]
    assert min(n) >= 2 and max(n) - min(n) <= 1  # one request per target per round
