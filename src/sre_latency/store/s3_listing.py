"""Ordering and filtering S3 run objects by what their names say, without reading them.

A run the store names itself is ``<utc>-<kind>-…`` (``20261123T113200Z-benchmark-3f9a``), so
its object name gives when it was measured and its kind; a run saved under a name of the
user's choice is placed by the object's LastModified time and kept whatever the kinds asked
for (only reading it would tell its kind).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import get_args

from sre_latency.core.contract import RunKind

_ID_RE = re.compile(r"^(\d{8}T\d{6}Z)-(.+)$")
_KINDS = sorted(get_args(RunKind), key=len, reverse=True)  # longest first: latency_check …


def parse_stem(stem: str) -> tuple[float | None, str | None]:
    """(epoch seconds, kind) a run id says; (None, None) for any other name."""
    m = _ID_RE.match(stem)
    if not m:
        return None, None
    at = datetime.strptime(m[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    rest = m[2]
    kind = next((k for k in _KINDS if rest.startswith(k.replace("_", "-") + "-")), None)
    return at, kind


def newest_first(found: dict[str, tuple[object, float]], kinds: tuple[str, ...] | None) -> list:
    """``found`` (stem → (locator, LastModified)) newest first, keeping ``kinds`` only."""
    keyed = []
    for stem, (loc, modified) in found.items():
        at, kind = parse_stem(stem)
        if kinds is not None and kind is not None and kind not in kinds:
            continue
        keyed.append(((at if at is not None else modified, modified), loc))
    keyed.sort(key=lambda item: item[0], reverse=True)
    return [loc for _, loc in keyed]
