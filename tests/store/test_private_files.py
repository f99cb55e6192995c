"""Everything sre-latency writes is private whatever the umask (issue 12, item 5): directories
0700, files 0600. Run files, journals and reports may hold endpoints, request ids, error text."""

from __future__ import annotations

import json
import os
import stat

import pytest

from recorded import RUNS
from sre_latency.cli import main
from sre_latency.store import Journal, load_run_file


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # what most users have: files 0644, directories 0755
    try:
        yield
    finally:
        os.umask(old)


def test_a_benchmark_writes_a_private_home_runs_directory_and_run_file(
    tmp_path, monkeypatch, open_umask, capsys
):
    home = tmp_path / "new" / "home"
    monkeypatch.setenv("SRE_LATENCY_HOME", str(home))
    argv = ["benchmark", "--emulate", "--providers", "anthropic", "-n", "2", "--warmup", "0",
            "--emulator-ttft-ms", "1", "--emulator-output-tokens", "2", "--json"]  # fmt: skip
    assert main(argv) == 0
    run_file = json.loads(capsys.readouterr().out)["path"]
    assert (mode(home), mode(home / "runs"), mode(run_file)) == (0o700, 0o700, 0o600)


def test_a_journal_is_private(tmp_path, open_umask):
    journal = Journal(tmp_path / "runs" / "r.jsonl", load_run_file(RUNS / "base.json"))
    journal.close()
    assert (mode(tmp_path / "runs"), mode(journal.path)) == (0o700, 0o600)


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_reports_are_private_on_both_faces(tmp_path, open_umask, fmt):
    from sre_latency.store import LocalStore
    from sre_latency.tools import report
    from sre_latency.tools.options import build

    out = tmp_path / "out" / f"report.{fmt}"
    assert main(["report", str(RUNS / "base.json"), "--format", fmt, "-o", str(out)]) == 0
    assert (mode(out.parent), mode(out)) == (0o700, 0o600)
    store = LocalStore()
    run = store.save(load_run_file(RUNS / "base.json"))
    opts = build(report.OPTIONS, {"run": run.name, "format": fmt, "output": "r"}, face="mcp")
    written = report.run(opts, store=store, confined=True).output_path
    assert (mode(store.home / "reports"), mode(written)) == (0o700, 0o600)


def test_the_statusline_installer_keeps_its_backup_of_the_settings_private(tmp_path, open_umask):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"env": {"ANTHROPIC_API_KEY": "sk-in-settings"}}))
    os.chmod(settings, 0o600)
    assert main(["install-statusline", "--settings", str(settings)]) == 0
    (backup,) = tmp_path.glob("settings.json.bak-*")
    assert mode(backup) == 0o600 and mode(settings) == 0o600
