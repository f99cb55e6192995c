"""The samples of a run file as columns, judged by the data contract without paying pydantic for
each one.

Validating 100,000 samples through pydantic takes over a second; nearly every sample is in the
one shape this package writes (``Sample.model_dump(mode="json")``). ``judged_columns`` checks that
shape column by column (exact types, int64 bounds, the ``…Z`` timestamp form) and hands each
sample that is not in it to ``Sample.model_validate``: the contract decides. So the fast loader
accepts exactly what the contract accepts (tests/analysis/test_columns_contract.py checks it on
generated run files), and a sample the contract coerces (an epoch ``started_at``, ``"seq": "5"``)
is read with the contract's values.
"""

from __future__ import annotations

import operator
import re
from datetime import datetime
from typing import Any

import numpy as np
from pydantic import ValidationError

from sre_latency.core.contract import ITL, Sample, SampleError
from sre_latency.errors import ERROR_CLASSES, StoreError
from sre_latency.store.files import first_validation_error

_INT64 = 2**63
_EXACT = 2**53  # ints a float column holds exactly
_STAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z"
_STAMPS = re.compile(rf"(?:{_STAMP}\n)*{_STAMP}")  # a whole column at once, joined by newlines
_NONE = type(None)
FLOAT_FIELDS = ("ttfb_ms", "ttft_ms", "generation_ms", "total_ms", "request_sent_ms", "dns_ms",
                "connect_ms", "tls_ms", "server_latency_ms", "server_ttft_ms",
                "network_overhead_ms", "output_tps", "intended_send_s", "send_s",
                "ttfr_ms")  # fmt: skip
INT_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
              "http_status", "step")  # fmt: skip
FIELDS = ("seq", "round", "started_at", *FLOAT_FIELDS, *INT_FIELDS, "itl_ms", "request_id",
          "cold", "error", "new_connection", "buffered")  # fmt: skip
assert set(FIELDS) == {f.alias or n for n, f in Sample.model_fields.items()}, "contract changed"
_FIELD_SET = frozenset(FIELDS)
_ITL_FIELDS = frozenset(ITL.model_fields)
_ERROR_FIELDS = frozenset(f.alias or n for n, f in SampleError.model_fields.items())
_CLASSES = frozenset(ERROR_CLASSES)
_DEFAULTS = {"cold": False, "itl_ms": {}, "buffered": False}

Columns = dict[str, list[Any]]


_ALL = operator.itemgetter(*FIELDS)


def columns_of(samples: list[Any]) -> Columns:
    """Each field of ``samples`` as one list (defaults where absent; non-dicts read as {})."""
    return _columns(samples)[0]


def _columns(samples: list[Any]) -> tuple[Columns, bool]:
    """The columns, and whether every sample is a dict holding every field."""
    try:  # the usual case, every field in every sample: one C-level transpose
        rows = zip(*map(_ALL, samples), strict=True)
        return dict(zip(FIELDS, map(list, rows), strict=True)), True
    except (KeyError, TypeError, ValueError):  # ValueError: no samples at all
        dicts = [s if type(s) is dict else {} for s in samples]
        return {k: [d.get(k, _DEFAULTS.get(k)) for d in dicts] for k in FIELDS}, False


def _ints_within(column: list[Any], low: int, high: int, types: set[type]) -> bool:
    if int not in types:
        return True
    ints = column if _NONE not in types and float not in types else [
        v for v in column if type(v) is int
    ]  # fmt: skip
    return min(ints) >= low and max(ints) < high


def _floats(column: list[Any]) -> bool:
    types = set(map(type, column))
    return types <= {float, int, _NONE} and _ints_within(column, -_EXACT, _EXACT + 1, types)


def _ints(column: list[Any]) -> bool:
    types = set(map(type, column))
    return types <= {int, _NONE} and _ints_within(column, -_INT64, _INT64, types)


def _required_ints(column: list[Any]) -> bool:
    types = set(map(type, column))
    return types <= {int} and _ints_within(column, -_INT64, _INT64, types)


def _stamps(column: list[Any]) -> bool:
    return set(map(type, column)) <= {str} and bool(_STAMPS.fullmatch("\n".join(column)))


_ITL_ALL = operator.itemgetter("n", "mean", "p50", "p99")


def _itl(column: list[Any]) -> bool:
    if not set(map(type, column)) <= {dict}:
        return False
    if set(map(len, column)) == {4}:  # the usual case: every field, so nothing else
        try:
            n, *others = map(list, zip(*map(_ITL_ALL, column), strict=True))
        except KeyError:
            return False
    elif set().union(*column) <= _ITL_FIELDS:
        n = [d.get("n", 0) for d in column]
        others = [[d.get(k) for d in column] for k in ("mean", "p50", "p99")]
    else:
        return False
    return _required_ints(n) and all(map(_floats, others))


def _errors(column: list[Any]) -> bool:
    found = [e for e in column if e is not None]
    if not found:
        return True
    if not set(map(type, found)) <= {dict} or not set().union(*found) <= _ERROR_FIELDS:
        return False
    kinds = [e.get("class") for e in found]
    return (set(map(type, kinds)) <= {str} and set(kinds) <= _CLASSES
            and _ints([e.get("status") for e in found])
            and set(map(type, (e.get("message", "") for e in found))) <= {str})  # fmt: skip


# (field, whether a whole column is in shape); a column that is not is checked value by value
_CHECKS: tuple[tuple[str, Any], ...] = (
    ("seq", _required_ints), ("round", _required_ints), ("started_at", _stamps),
    *((n, _floats) for n in FLOAT_FIELDS), *((n, _ints) for n in INT_FIELDS),
    ("itl_ms", _itl), ("request_id", lambda c: set(map(type, c)) <= {str, _NONE}),
    ("cold", lambda c: set(map(type, c)) <= {bool}), ("error", _errors),
    ("new_connection", lambda c: set(map(type, c)) <= {bool, _NONE}),
    ("buffered", lambda c: set(map(type, c)) <= {bool}),
)  # fmt: skip


def _odd_rows(samples: list[Any], columns: Columns, every_field: bool) -> set[int]:
    """Indices of the samples that are not in the shape this package writes."""
    odd: set[int] = set()
    exact = every_field and set(map(len, samples)) <= {len(FIELDS)}  # every field, nothing else
    if not exact and (
        not set(map(type, samples)) <= {dict} or not set().union(*samples) <= _FIELD_SET
    ):
        odd.update(i for i, s in enumerate(samples) if type(s) is not dict or s.keys() - _FIELD_SET)
    for name, in_shape in _CHECKS:
        column = columns[name]
        if not in_shape(column):
            odd.update(i for i, v in enumerate(column) if not in_shape([v]))
    return odd


def _epoch_s(value: str | datetime) -> float:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.timestamp()


def _started_s(columns: Columns, odd: set[int]) -> list[float] | None:
    """Epoch seconds of samples in shape (``…Z`` strings); None, and the rows added to ``odd``,
    when one of those dates is not a date (February 30th)."""
    try:  # numpy reads a naive ISO time as UTC: the Z is the only zone in shape
        stamps = np.array([v[:-1] for v in columns["started_at"]], dtype="datetime64[us]")
    except ValueError:
        for i, v in enumerate(columns["started_at"]):
            try:
                datetime.fromisoformat(v)
            except ValueError:
                odd.add(i)
        return None
    return (stamps.astype(np.int64) / 1e6).tolist()


def judged_columns(samples: list[Any], where: object, loc: str) -> Columns:
    """The columns of ``samples`` as the contract reads them, plus ``started_s`` (epoch s);
    a StoreError naming ``where`` and ``loc.<index>.<field>`` for the first sample it refuses."""
    columns, every_field = _columns(samples)
    odd = _odd_rows(samples, columns, every_field)
    started = _started_s(columns, odd) if not odd else None
    for i in sorted(odd):
        try:
            sample = Sample.model_validate(samples[i]).model_dump(by_alias=True)
        except ValidationError as exc:
            raise StoreError(
                f"{where} is a malformed run file: {loc}.{i}.{first_validation_error(exc)}."
            ) from None
        except (ValueError, TypeError, RecursionError):
            raise StoreError(f"{where} is a malformed run file: {loc}.{i} is unreadable.") from None
        for name in FIELDS:
            columns[name][i] = sample[name]
    if started is None:
        started = [_epoch_s(v) for v in columns["started_at"]]
    columns["started_s"] = started
    return columns
