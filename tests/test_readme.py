"""The README's two set-up commands stay true (CI runs them verbatim; this checks their shape)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
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


def test_the_wheel_carries_every_data_file_the_package_reads(tmp_path):
    """`pip install .` (not -e) is what the README and CI use: a file left out of the wheel breaks
    the built-in tasks there and nowhere else."""
    src = ROOT / "src" / "sre_latency"
    wanted = {
        path.relative_to(src.parent).as_posix()
        for path in src.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    }
    # Build from a copy without the egg-info an editable install leaves: setuptools would take
    # its file list from there and hide exactly the omission this test is for.
    clean = tmp_path / "checkout"
    junk = shutil.ignore_patterns(
        "*.egg-info", "build", "dist", ".git", "__pycache__", "node_modules", ".venv"
    )
    shutil.copytree(ROOT, clean, ignore=junk)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(clean)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("sre_latency-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert wanted and wanted <= shipped, sorted(wanted - shipped)
