"""The recorded run files analysis tests read (``tests/fixtures/runs``; see ``record.py``)."""

from __future__ import annotations

import shutil
from pathlib import Path

RUNS = Path(__file__).resolve().parent / "fixtures" / "runs"
_COPIES: dict[str, Path] = {}


def recorded_run(name: str, tmp_path_factory) -> Path:
    """A private copy of the recorded run ``name`` (made once per test session)."""
    if name not in _COPIES:
        out = tmp_path_factory.mktemp(f"run-{name}") / f"{name}.json"
        shutil.copy(RUNS / f"{name}.json", out)
        _COPIES[name] = out
    return _COPIES[name]
