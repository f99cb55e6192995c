"""Hypothesis strategies for hostile inputs, shared by the property tests and benchmarks/fuzz.py.

Most are mutations of real captures (a recorded run file, hook lines, transcript lines, SSE and
event streams): a JSON value swapped for one of another type or an absurd size, a key dropped or
added, bytes flipped, cut or inserted, nesting thousands deep. Mutating what a parser really
reads reaches its deep branches; random bytes alone stop at the first check.
"""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

from hypothesis import strategies as st

DEEP = st.integers(900, 3500).map(lambda d: "[" * d + "]" * d)  # beyond the recursion limit
ODD_STRINGS = st.sampled_from([
    "", " ", "5", "1.5", "-0", "1e400", "NaN", "null", "true", "auth", "rate_limit", "\x00",
    "\ud800", "\u202e", "2026-12-01", "2026-12-01T20:14:56Z", "2026-02-30T00:00:00Z",
    "2026-12-01T20:14:56.1234567Z", "2026-12-01T20:14:56+23:59", "2026-12-01 20:14:56Z",
    "1795435200", "x" * 5000, "é" * 100, "content_block_delta", "text_delta", "message_stop",
])  # fmt: skip
ODD_NUMBERS = st.sampled_from([
    0, -1, 1, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, 10**400, True, False,
    0.5, -0.0, 1e308, float("inf"), float("-inf"), float("nan"), 1795435200, 1795435200.5,
])  # fmt: skip
ATOMS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    ODD_STRINGS,
    ODD_NUMBERS,
)
JSON_VALUES = st.recursive(
    ATOMS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6) | ODD_STRINGS, inner, max_size=4)
    ),
    max_leaves=12,
)
DEEP_VALUE = DEEP.map(json.loads)  # a value json.loads still reads (≤ the recursion limit)…
SHALLOW_DEEP = st.integers(10, 200).map(lambda d: json.loads("[" * d + "]" * d))


@st.composite
def mutated_json(draw, base: Any, max_mutations: int = 3) -> Any:
    """``base`` (a JSON value) with 1..``max_mutations`` values replaced, dropped or added."""
    obj = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, max_mutations))):
        obj = _mutate_once(draw, obj)
    return obj


def _mutate_once(draw, obj: Any) -> Any:
    parent, key, node = None, None, obj
    while isinstance(node, dict | list) and node and draw(st.integers(0, 4)):
        keys = sorted(node) if isinstance(node, dict) else list(range(len(node)))
        parent, key = node, draw(st.sampled_from(keys))
        node = node[key]
    action = draw(st.sampled_from(["replace", "replace", "drop", "add", "wrap"]))
    value = draw(st.one_of(JSON_VALUES, SHALLOW_DEEP))
    if parent is None:
        return value if action in ("replace", "wrap") else obj
    if action == "replace":
        parent[key] = value
    elif action == "wrap":
        parent[key] = [node] if draw(st.booleans()) else {"x": node}
    elif action == "drop":
        del parent[key]
    elif isinstance(parent, dict):
        parent[draw(st.text(max_size=8) | ODD_STRINGS)] = value
    else:
        parent.insert(draw(st.integers(0, len(parent))), value)
    return obj


@st.composite
def mutated_bytes(draw, base: bytes, max_mutations: int = 4) -> bytes:
    """``base`` with bytes flipped, inserted, deleted, cut off, or deep nesting spliced in."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, max_mutations))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["flip", "insert", "delete", "cut", "deep", "dup"]))
        if op == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(
                st.binary(min_size=1, max_size=8)
                | st.sampled_from(
                    [b"\xef\xbb\xbf", b"\r\n", b"\n\n", b'"', b"\\", b"\x00", b"\xff", b"{", b"]"]
                )
            )
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif op == "cut":
            del data[at:]
        elif op == "deep":
            data[at:at] = draw(DEEP).encode()
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 64))]
    return bytes(data)


def serialised(draw_json: st.SearchStrategy) -> st.SearchStrategy[bytes]:
    """JSON text of the drawn values (NaN and Infinity allowed, as json.dumps writes them)."""
    return draw_json.map(
        lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")
    )


@st.composite
def chunked(draw, data: bytes) -> list[bytes]:
    """``data`` cut into the pieces a network might deliver."""
    cuts = sorted(set(draw(st.lists(st.integers(0, len(data)), max_size=8))))
    edges = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]
