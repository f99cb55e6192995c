"""The rules as YAML on stdout (or where they were written)."""

from __future__ import annotations

import sys
from typing import Any


def render(con: Any, result: Any) -> None:
    if result.output_path is None:
        sys.stdout.write(result.rules_yaml)
    else:
        con.print(f"wrote {result.output_path}")
    print(result.summary, file=sys.stderr)


def exit_code(result: Any, opts: Any) -> int:
    return 0
