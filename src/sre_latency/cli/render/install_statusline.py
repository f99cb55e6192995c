"""Where the statusline was installed, and where the old settings were kept."""

from __future__ import annotations

from typing import Any


def render(con: Any, result: Any) -> None:
    print(f"sre-latency statusline {result.outcome} in {result.settings_path}")
    if result.backup_path is not None:
        print(f"previous settings saved to {result.backup_path}")


def exit_code(result: Any, opts: Any) -> int:
    return 0
