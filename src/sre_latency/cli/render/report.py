"""The report: the document itself on stdout, or where it was written."""

from __future__ import annotations

import sys
from typing import Any


def render(con: Any, result: Any) -> None:
    document = getattr(result, "_document", None)
    if document is not None:
        sys.stdout.write(document if document.endswith("\n") else document + "\n")
        return
    con.print(f"wrote {result.output_path}\n{result.summary}")


def exit_code(result: Any, opts: Any) -> int:
    return 0
