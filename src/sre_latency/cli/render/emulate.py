"""The emulator's last word when it stops."""

from __future__ import annotations

import sys
from typing import Any


def render(con: Any, result: Any) -> None:
    print(result.summary, file=sys.stderr, flush=True)


def exit_code(result: Any, opts: Any) -> int:
    return 0
