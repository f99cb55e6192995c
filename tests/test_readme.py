"""The README's two set-up commands stay true (CI runs them verbatim; this checks their shape)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_block(tag: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {tag} -->\s*```\w*\n(.+?)\n```\s*<!-- /{tag} -->", text, re.S)
    assert match, f"README.md lacks its <!-- {tag} --> block"
    return match.group(1).strip()


def test_the_readme_has_exactly_two_setup_commands_and_ci_runs_them():
    assert _readme_block("try") == "pip install . && sre-latency benchmark --emulate -n 20"
    assert _readme_block("test").startswith("pip install")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "readme_cmd try" in ci and "readme_cmd test" in ci


def test_the_readme_try_command_runs_a_benchmark_on_the_emulator(tmp_path):
    command = _readme_block("try").split("&&", 1)[1].strip()
    argv = shlex.split(command)
    assert argv[0] == "sre-latency"
    env = {**os.environ, "SRE_LATENCY_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "sre_latency", *argv[1:], "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["complete"] is True
    assert Path(result["path"]).is_file()
    assert all(row["n"] == 20 for row in result["targets"])
