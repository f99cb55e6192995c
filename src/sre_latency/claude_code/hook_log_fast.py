"""Columnar decoding of the hook's own line format with numpy, without one dict per line.

The hook writes every line in one fixed shape (see ``claude_config/sre-latency-hook``)::

    {"v":1,"ts_ns":<19 digits>,"session_id":"<sid>","event":"<name>"[,"tool_name":"…"]
     [,"tool_use_id":"…"][,"agent_id":"…"][,"agent_type":"…"][,"source":"…"][,"reason":"…"]
     [,"mcp_server":"…"][,"duration_ms":<number>][,"failed":true][,"interrupted":true]}

with strings of printable ASCII free of quotes and backslashes. :func:`parse_canonical` checks
every byte of every line against that grammar, all lines at once (8 bytes at a time), and
extracts the fields of the lines that fit. A line that fits is valid JSON meaning exactly what
was extracted; any other line (malformed, hand-written, another layout) is left to the careful
path (``json.loads``, line by line) in :mod:`sre_latency.claude_code.hook_log`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

PADDING = bytes(512)  # after the buffer: 8-byte reads past a line's end stay in bounds
_MAX_STRING = 200  # the hook writes no longer identifiers
_U8 = np.uint64
_ONES = _U8(0x0101010101010101)
_HIGH = _U8(0x8080808080808080)
# (key, kind): kind "s" string value, "n" number, "t" the literal true; canonical order
_OPTIONAL_KEYS = (
    ("tool_name", "s"), ("tool_use_id", "s"), ("agent_id", "s"), ("agent_type", "s"),
    ("source", "s"), ("reason", "s"), ("mcp_server", "s"), ("duration_ms", "n"),
    ("failed", "t"), ("interrupted", "t"),
)  # fmt: skip
_PLAIN = bytes([10, *range(32, 92), *range(93, 127)])  # newline and printable ASCII but "\\"


def _word(eight: bytes) -> np.uint64:
    return _U8(int.from_bytes(eight, "little"))


_KEY_TOKENS = tuple(  # tokens are 9 to 16 bytes: the comma, then two 8-byte words cover them
    (key, kind, token, _word(token[1:9]))
    for key, kind in _OPTIONAL_KEYS
    for token in [b',"' + key.encode() + b'":' + (b'"' if kind == "s" else b"")]
)
_KEY_PREFIXES = np.array([t[3] for t in _KEY_TOKENS], np.uint64)
STRING_FIELDS = ("event", "tool_name", "tool_use_id", "agent_id", "mcp_server")


@dataclass
class CanonicalColumns:
    """Fields of the lines that fit the hook's format (``line`` = their index in the buffer).

    String fields are codes into ``tables[field]`` (distinct values), -1 where absent."""

    n_lines: int
    line: np.ndarray
    ts_ns: np.ndarray
    duration_ms: np.ndarray
    codes: dict[str, np.ndarray]
    tables: dict[str, StringTable]


def parse_canonical(
    padded: bytes, size: int, session_id: str, ends: np.ndarray | None = None
) -> CanonicalColumns:
    """Parse ``padded[:size]`` (lines ending in ``\\n``, at ``ends`` when known; then at least
    ``PADDING``) as hook lines of ``session_id``."""
    arr = np.frombuffer(padded, np.uint8)
    u64 = np.ndarray((len(padded) - 8,), dtype="<u8", buffer=padded, strides=(1,))
    if ends is None:
        ends = np.flatnonzero(arr[:size] == 10)
    n_lines = len(ends)
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    ok = _line_has_only_plain_bytes(padded, size, arr, ends)

    sid = session_id.encode("utf-8", "replace")
    head, mid = b'{"v":1,"ts_ns":', b',"session_id":"' + sid + b'","event":"'
    ok &= ends - starts > len(head) + 19 + len(mid) + 1
    ok &= _bytes_equal(padded, starts, head)
    ts, ts_ok = _parse_19_digits(u64, starts + len(head))
    ok &= ts_ok
    ok &= _bytes_equal(padded, starts + len(head) + 19, mid)

    rows = np.flatnonzero(ok)
    s, e = starts[rows], ends[rows]
    ev_start = s + len(head) + 19 + len(mid)
    fields = {name: _StringField(padded, u64) for name in STRING_FIELDS}
    everyone = np.arange(len(rows))
    ev_len, good = fields["event"].find(everyone, ev_start)
    pos = ev_start + ev_len + 1  # just after the event name's closing quote
    good &= ev_len > 0
    duration = np.full(len(rows), np.nan)
    last_key = np.full(len(rows), -1)
    active = np.flatnonzero(good & (arr[pos] == ord(",")))
    while len(active):  # one optional field per line and round, in canonical order
        prefix = u64[pos[active] + 1]  # after the comma: 8 bytes that tell which key it must be
        for k, (key, kind, token, first8) in enumerate(_KEY_TOKENS):
            at = active[prefix == first8]
            if not len(at):
                continue
            good[at] &= (u64[pos[at] + len(token) - 8] == _word(token[-8:])) & (last_key[at] < k)
            last_key[at] = k
            value_start = pos[at] + len(token)
            if kind == "s":
                field = fields.get(key) or _StringField(padded, u64)
                length, found = field.find(at, value_start)
                good[at] &= found
                pos[at] = value_start + length + 1
            elif kind == "n":
                value, length, found = _parse_number(u64, value_start)
                good[at] &= found
                duration[at] = value
                pos[at] = value_start + length
            else:
                good[at] &= _bytes_equal(padded, value_start, b"true")
                pos[at] = value_start + 4
        known = np.isin(prefix, _KEY_PREFIXES)
        good[active[~known]] = False
        active = active[known & good[active]]
        active = active[arr[np.minimum(pos[active], size)] == ord(",")]
    good &= (pos == e - 1) & (arr[np.minimum(pos, size)] == ord("}"))

    keep = np.flatnonzero(good)
    codes, tables = {}, {}
    for name, field in fields.items():
        codes[name], tables[name] = field.codes(good, keep, drop_empty=name == "agent_id")
    return CanonicalColumns(n_lines, rows[keep], ts[rows[keep]], duration[keep], codes, tables)


class _StringField:
    """The values of one string field: those of a small dictionary taken from the first lines
    are matched whole (8 bytes, then exactly); any other is found and factorized generically."""

    SAMPLE, MAX_DICTIONARY = 1024, 24

    def __init__(self, padded: bytes, u64: np.ndarray) -> None:
        self.padded, self.u64 = padded, u64
        self.dictionary: list[bytes] | None = None
        self.where: dict[bytes, int] = {}  # where each sampled value is in the buffer
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def find(self, at: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Length of the string starting at each ``start`` (rows ``at``); (length, found)."""
        if self.dictionary is None:
            self.dictionary = self._sample(start[: self.SAMPLE])
        length = np.zeros(len(at), np.int64)
        code = np.full(len(at), -1, np.int32)
        todo = np.arange(len(at))  # not matched yet; the commonest values are tried first
        first = self.u64[start]
        for c, value in enumerate(self.dictionary):
            quoted = value + b'"'
            head = quoted[:8]
            mask = _U8((1 << (8 * len(head))) - 1)
            hit = (first[todo] & mask) == _word(head)
            maybe = todo[hit]
            if 8 < len(quoted) <= 16:
                maybe = maybe[self.u64[start[maybe] + len(quoted) - 8] == _word(quoted[-8:])]
            elif len(quoted) > 16:
                maybe = maybe[_bytes_equal(self.padded, start[maybe], quoted)]
            code[maybe], length[maybe] = c, len(value)
            todo = todo[code[todo] < 0]
            if not len(todo):
                break
        found = code >= 0
        rest = np.flatnonzero(~found)
        if len(rest):
            length[rest], found[rest] = _find_quote(self.u64, start[rest])
        self.parts.append((at, start, length, code))
        return length, found

    def _sample(self, start: np.ndarray) -> list[bytes]:
        """The few distinct values of the first lines, commonest first ([] when many)."""
        length, found = _find_quote(self.u64, start)
        p, sample = self.padded, Counter()
        for a, n in zip(start[found].tolist(), length[found].tolist(), strict=True):
            value = bytes(p[a : a + n])
            sample[value] += 1
            self.where.setdefault(value, a)
        if len(sample) > self.MAX_DICTIONARY:
            return []
        return [v for v, _ in sample.most_common() if not v.translate(None, _PLAIN[1:])]

    def codes(self, good: np.ndarray, keep: np.ndarray, drop_empty: bool):
        """Codes for the kept rows (-1: absent) and the table of distinct strings."""
        remap = np.full(len(good), -1, np.int64)
        remap[keep] = np.arange(len(keep))
        out = np.full(len(keep), -1, np.int32)
        table_start = [self.where[v] for v in self.dictionary or []]
        table_length = [len(v) for v in self.dictionary or []]
        if self.parts:
            at, start, length, code = (np.concatenate(c) for c in zip(*self.parts, strict=True))
            sel = good[at] & ((length > 0) if drop_empty else True)  # "" is no agent
            matched = sel & (code >= 0)
            out[remap[at[matched]]] = code[matched]
            other = sel & (code < 0)
            other_codes, other_start, other_length = _factorize(self.u64, start[other],
                                                                length[other])  # fmt: skip
            out[remap[at[other]]] = other_codes + len(table_start)
            table_start += other_start.tolist()
            table_length += other_length.tolist()
        return out, StringTable(self.padded, np.array(table_start, np.int64),
                                np.array(table_length, np.int64))  # fmt: skip


class StringTable:
    """Distinct strings of one field, decoded from the buffer only when asked for."""

    def __init__(self, padded: bytes, start: np.ndarray, length: np.ndarray) -> None:
        self._padded, self._start, self._length = padded, start, length

    def __len__(self) -> int:
        return len(self._start)

    def __getitem__(self, code: int) -> str:
        at = int(self._start[code])
        return self._padded[at : at + int(self._length[code])].decode("ascii")

    def tolist(self) -> list[str]:
        p, spans = self._padded, zip(self._start.tolist(), self._length.tolist(), strict=True)
        return [p[a : a + n].decode("ascii") for a, n in spans]


def _line_has_only_plain_bytes(padded: bytes, size: int, arr: np.ndarray, ends: np.ndarray):
    """False for lines holding a control byte, a backslash or non-ASCII (rare: found apart)."""
    ok = np.ones(len(ends), bool)
    body = arr[:size]
    clean = padded.isascii() and padded.find(b"\\", 0, size) < 0
    clean = clean and padded.find(b"\x7f", 0, size) < 0
    if not (clean and np.count_nonzero(body < 32) == len(ends)):  # the newlines only
        bad = np.flatnonzero(((body - np.uint8(32)) > 94) & (body != 10) | (body == 92))
        ok[np.searchsorted(ends, bad)] = False
    return ok


def _bytes_equal(padded: bytes, at: np.ndarray, const: bytes) -> np.ndarray:
    """Whether ``const`` sits at each offset ``at``: the bytes gathered, compared 8 at a time."""
    words = -(-len(const) // 8)
    view = np.ndarray((len(padded) - 8 * words + 1,), dtype=f"V{8 * words}", buffer=padded,
                      strides=(1,))  # fmt: skip
    got = view[np.minimum(at, len(view) - 1)].view("<u8").reshape(len(at), words)
    tail = bytes(8 * words - len(const))
    expected = np.frombuffer(const + tail, "<u8")
    mask = np.frombuffer(b"\xff" * len(const) + tail, "<u8")
    equal = np.ones(len(at), bool)
    for k in range(words):
        equal &= (got[:, k] & mask[k]) == expected[k]
    return equal


def _parse_19_digits(u64: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 19-digit integer without a leading zero that fits int64 (1e18 ≤ ts < 9e18), SWAR."""
    a, b, c = u64[at], u64[at + 8], u64[at + 11]  # digits 0-7, 8-15, 11-18
    ok = np.ones(len(at), bool)
    for w in (a, b, c):
        ok &= ((w & _U8(0xF0F0F0F0F0F0F0F0)) == _U8(0x3030303030303030)) & (
            ((w + _U8(0x0606060606060606)) & _U8(0xF0F0F0F0F0F0F0F0)) == _U8(0x3030303030303030)
        )
    first = a & _U8(0xFF)
    ok &= (first >= 0x31) & (first <= 0x38)
    value = _eight_digits(a).astype(np.int64) * 10**11
    value += _eight_digits(b).astype(np.int64) * 1000
    value += (_eight_digits(c) % _U8(1000)).astype(np.int64)
    return value, ok


def _eight_digits(w: np.ndarray) -> np.ndarray:
    """Eight ASCII digits (first in the lowest byte) to their value."""
    w = w - _U8(0x3030303030303030)
    w = (w * _U8(10) + (w >> _U8(8))) & _U8(0x00FF00FF00FF00FF)
    w = (w * _U8(100) + (w >> _U8(16))) & _U8(0x0000FFFF0000FFFF)
    return (w * _U8(10000) + (w >> _U8(32))) & _U8(0xFFFFFFFF)


def _find_quote(u64: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each ``at`` to the next quote byte, 8 bytes a round; (length, found)."""
    length = np.zeros(len(at), np.int64)
    found = np.zeros(len(at), bool)
    todo = np.arange(len(at))
    for offset in range(0, _MAX_STRING + 1, 8):
        if not len(todo):
            break
        x = u64[np.minimum(at[todo] + offset, len(u64) - 1)] ^ _U8(0x2222222222222222)
        hit = (x - _ONES) & ~x & _HIGH  # the lowest flagged byte is the first quote
        got = hit != 0
        low = hit[got] & (~hit[got] + _U8(1))
        _, exponent = np.frexp(low.astype(np.float64))
        length[todo[got]] = offset + (exponent - 1) // 8
        found[todo[got]] = True
        todo = todo[~got]
    found &= length <= _MAX_STRING
    return length, found


def _parse_number(u64: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A JSON number ``0|[1-9][0-9]*`` with an optional ``.[0-9]+``, at most 15 digits, ended
    by ``,`` or ``}``; as Python's ``float()`` of it. Integers of up to 7 digits the fast way."""
    word = u64[np.minimum(at, len(u64) - 1)]
    x = word ^ _U8(0x3030303030303030)  # digits become bytes 0-9
    flagged = ((x + _U8(0x7676767676767676)) | x) & _HIGH  # the lowest flag is the first non-digit
    low = flagged & (~flagged + _U8(1))
    _, exponent = np.frexp(low.astype(np.float64))
    length = np.where(flagged != 0, (exponent - 1) // 8, 8)
    terminator = (word >> (length.clip(0, 7) * 8).astype(np.uint64)) & _U8(0xFF)
    simple = (length > 0) & (length < 8) & ((terminator == ord(",")) | (terminator == ord("}")))
    simple &= ((word & _U8(0xFF)) != ord("0")) | (length == 1)
    # digits moved to the top bytes, "0"s below: the eight-digit parse then reads the number
    shift = ((8 - length.clip(1, 7)) * 8).astype(np.uint64)
    padded_digits = (word << shift) | (_U8(0x3030303030303030) >> (_U8(64) - shift))
    value = _eight_digits(padded_digits).astype(np.float64)
    ok = simple.copy()
    rest = np.flatnonzero(~simple)
    if len(rest):
        value[rest], length[rest], ok[rest] = _parse_number_slowly(u64, at[rest])
    return value, length, ok


def _parse_number_slowly(
    u64: np.ndarray, at: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A JSON number ``0|[1-9][0-9]*`` with an optional ``.[0-9]+``, at most 15 digits, ended
    by ``,`` or ``}``; as Python's ``float()`` of it (one exact division: correctly rounded)."""
    width = 24
    at = np.minimum(at, len(u64) - 17)
    window = np.stack([u64[at], u64[at + 8], u64[at + 16]], axis=1).view(np.uint8)
    digit = (window - np.uint8(48)) < 10
    dot = window == ord(".")
    stop = ~(digit | dot)
    length = np.argmax(stop, axis=1)  # the first byte that is neither a digit nor a dot
    inside = np.arange(width) < length[:, None]
    n_dots = (dot & inside).sum(axis=1)
    dot_at = np.where(n_dots == 1, np.argmax(dot, axis=1), length)
    terminator = window[np.arange(len(at)), length]
    counted = digit & inside
    ok = stop.any(axis=1) & (length > 0) & (n_dots <= 1) & (counted.sum(axis=1) <= 15)
    ok &= (n_dots == 0) | ((dot_at > 0) & (dot_at < length - 1))  # digits on both sides
    ok &= (window[:, 0] != ord("0")) | (dot_at == 1)  # no leading zero
    ok &= (terminator == ord(",")) | (terminator == ord("}"))
    mantissa = np.zeros(len(at), np.int64)
    values = window.astype(np.int64) - 48
    for j in range(int(length[ok].max(initial=0))):
        mantissa = np.where(counted[:, j], mantissa * 10 + values[:, j], mantissa)
    fraction_digits = np.where(n_dots == 1, length - dot_at - 1, 0)
    return mantissa / 10.0**fraction_digits, length, ok


def _factorize(u64: np.ndarray, start: np.ndarray, length: np.ndarray):
    """Codes of equal byte strings and where each distinct one is; exact (hashed, verified)."""
    if not len(start):
        return np.zeros(0, np.int32), start, length
    words = max(1, int(-(-length.max() // 8)))
    chunks = np.empty((len(start), words), np.uint64)
    h = length.astype(np.uint64) * _U8(0x9E3779B97F4A7C15)
    for k in range(words):
        left = np.clip(length - 8 * k, 0, 8).astype(np.uint64)
        mask = np.where(left == 8, _U8(0xFFFFFFFFFFFFFFFF), (_U8(1) << (left * _U8(8))) - _U8(1))
        chunks[:, k] = u64[start + 8 * k] & mask
        h = (h ^ chunks[:, k]) * _U8(0xFF51AFD7ED558CCD)
        h ^= h >> _U8(29)
    order = np.argsort(h)
    sorted_h = h[order]
    new = np.ones(len(h), bool)
    new[1:] = sorted_h[1:] != sorted_h[:-1]
    codes = np.empty(len(h), np.int64)
    codes[order] = np.cumsum(new) - 1
    first = order[new]
    rep = first[codes]
    if not ((chunks == chunks[rep]).all() and (length == length[rep]).all()):  # a collision
        rows = np.column_stack([length.astype(np.uint64), chunks])
        _, first, codes = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        codes = codes.ravel()
    return codes.astype(np.int32), start[first], length[first]
