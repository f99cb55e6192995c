"""The real Claude Code from npm, installed once into a cache (like tests/e2e's other tests)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CLAUDE_CODE_VERSION = os.environ.get("SRE_LATENCY_CLAUDE_CODE_VERSION", "2.1.330")


def claude_binary() -> Path:
    """``claude`` of ``@anthropic-ai/claude-code@CLAUDE_CODE_VERSION`` (skip without npm)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot install Claude Code for the end-to-end test")
    cache = Path(
        os.environ.get("SRE_LATENCY_E2E_CACHE", Path.home() / ".cache" / "sre-latency-e2e")
    )
    prefix = cache / f"claude-code-{CLAUDE_CODE_VERSION}"
    binary = prefix / "node_modules" / ".bin" / "claude"
    if not binary.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
             f"@anthropic-ai/claude-code@{CLAUDE_CODE_VERSION}"],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    return binary
