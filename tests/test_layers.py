"""The tree keeps its layers: the import contract, the public API, one declaration per option."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "sre_latency"
PUBLIC_API = [
    "BenchmarkOptions", "BenchmarkResult", "CATALOGUE", "CompareOptions", "CompareResult",
    "ConfigError", "CredentialsError", "GradeOptions", "GradeResult", "LatencyBudgetOptions",
    "LatencyBudgetResult", "LatencyCheckOptions", "LatencyCheckResult", "LatencyError",
    "ProviderResult", "ReportOptions", "ReportResult", "Run", "RunHandle", "RunStore", "Sample",
    "SampleError", "StoreError", "Summary", "ToolTimingsOptions", "ToolTimingsResult",
    "__version__", "compare", "grade", "latency_check", "open_store", "report", "run_benchmark",
    "start_benchmark", "start_latency_budget", "tool_timings",
]  # fmt: skip
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 70  # "about 60": a function longer than this is two functions


def test_the_import_contract_holds():
    """Arrows point down, siblings stay apart, only the server imports mcp (pyproject.toml)."""
    lint = shutil.which("lint-imports")
    assert lint, "import-linter is a test dependency: pip install '.[test]'"
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]


def test_the_public_api_is_pinned_and_every_name_resolves():
    import sre_latency

    assert sorted(sre_latency.__all__) == sorted(PUBLIC_API)
    for name in sre_latency.__all__:
        assert getattr(sre_latency, name) is not None, name
    assert sre_latency.grade.__module__ == "sre_latency.tools.grade"


def test_the_package_top_level_holds_only_its_face_and_the_exception_tree():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert modules == ["__init__.py", "__main__.py", "errors.py"]


def test_the_version_is_the_one_in_pyproject():
    import tomllib

    import sre_latency

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert sre_latency.__version__ == project["version"]


def _cli_options(command: str) -> set[str]:
    from sre_latency.cli import build_parser

    parser = build_parser(only=command)
    sub = next(a for a in parser._actions if a.dest == "command")
    return {a.dest for a in sub.choices[command]._actions} - {"help", "json", "handler"}


def _mcp_options(name: str) -> set[str]:
    import asyncio

    from sre_latency.server import build_server

    tools = {t.name: t for t in asyncio.run(build_server().list_tools())}
    return set(tools[name].input_schema["properties"]) - {"max_seconds"}


@pytest.mark.parametrize("name", ["benchmark", "latency_check", "latency_budget", "grade",
                                  "compare", "report", "tool_timings", "monitor_status",
                                  "session_benchmark", "capacity"])  # fmt: skip
def test_the_cli_and_the_mcp_server_name_the_same_options_of_each_tool(name):
    from sre_latency.tools import BY_NAME
    from sre_latency.tools.options import face_of

    options = BY_NAME[name].module.OPTIONS
    only = {f: face_of(options, f).only for f in options.model_fields if face_of(options, f).only}
    cli, mcp = _cli_options(name.replace("_", "-")), _mcp_options(name)
    assert cli - {f for f, face in only.items() if face == "cli"} == mcp - {
        f for f, face in only.items() if face == "mcp"
    }
    assert all(face_of(options, f).why_only for f in only), "say why an option is on one face"


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_are_small_and_functions_short(path):
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{path.name} is two modules"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{node.name} has {length} lines"


def test_docstrings_cite_only_documents_in_this_repository():
    """The metric definitions, data contract and error classes live in docs/ of this repo."""
    for path in _modules():
        assert "DESIGN §" not in path.read_text(), path
