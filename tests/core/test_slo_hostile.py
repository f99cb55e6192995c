"""SLO files and thresholds that are broken or hostile: one sentence each, and bounded work."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sre_latency.core.slo import (
    MAX_THRESHOLD_CHARS,
    _threshold_parts,
    load_slo_file,
    parse_threshold,
)
from sre_latency.errors import ConfigError

HOSTILE_FILES = {
    "non-utf8": (b"[grades]\nttft_ms.p50 = [1, 2, 3, 4]\n# caf\xe9\n", "line 3: not UTF-8"),
    "401-digit-bound": (b"[grades]\nttft_ms.p50 = [1, 2, 3, 1" + b"0" * 400 + b"]\n",
                        "line 2: the bounds of ttft_ms p50 must be four numbers"),
    "huge-goodput": (b"[goodput]\nttft_ms = 1" + b"0" * 400 + b"\n",
                     "goodput bound of ttft_ms must be a positive number"),
    "5000-digit-int": (b"[goodput]\nttft_ms = " + b"1" * 5000 + b"\n", "far too large"),
    "inf-bound": (b"[grades]\nttft_ms.p50 = [1, 2, 3, inf]\n", "must be four numbers"),
    "nan-goodput": (b"[goodput]\ntotal_ms = nan\n", "must be a positive number"),
    "nested": (b"thresholds = " + b"[" * 2000 + b"]" * 2000 + b"\n", "too deeply"),
    "nested-tables": (b"x = " + b"{a = " * 2000 + b"1" + b"}" * 2000 + b"\n", "too deeply"),
    "too-big": (b"# " + b"x" * 70_000 + b"\n", "is over 64 KB"),
    "too-many-rows": (b"[grades.ttft_ms]\n" + b"".join(
        b"\"p%d.%d\" = [1, 2, 3, 4]\n" % divmod(i, 10) for i in range(101)), "at most 100"),
    "long-threshold": (b'thresholds = ["ttft_ms p95 < ' + b"5" * 20_000 + b'"]\n',
                       "is no threshold"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_a_hostile_slo_file_is_one_sentence_naming_the_file(tmp_path, name):
    content, reason = HOSTILE_FILES[name]
    path = tmp_path / "slo.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_slo_file(path)
    message = str(caught.value)
    assert str(path) in message and reason in message and "\n" not in message
    assert len(message) < 400


def test_a_long_threshold_is_refused_before_any_parsing():
    with pytest.raises(ConfigError, match=f"at most {MAX_THRESHOLD_CHARS} characters"):
        parse_threshold("ttft_ms p95 < " + "." * 40_000)


# The regular expression thresholds were read with before (quadratic on long inputs): the
# linear parser must read exactly the same language.
_OLD = re.compile(
    r"^\s*(?P<metric>[a-z_]+)(?:[ .]+(?:p\((?P<kp>[\d.]+)\)|(?P<stat>[a-z0-9.]+)))?\s*"
    r"(?P<op><=|>=|<|>)\s*(?P<value>-?\d+(?:\.\d+)?)\s*(?P<unit>%|ms)?\s*$"
)
_PIECES = st.sampled_from(["ttft_ms", "error_rate", "p95", "p(99.9)", "p(", ")", " ", "  ", ".",
                           "..", "\t", "\n", "<", ">", "=", "<=", "-", "5", "0.5", "1.", "%",
                           "ms", "m", "s", "x", "_", "\u0663", "\u00a0", "(", "9"])  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_the_linear_threshold_parser_reads_what_the_regular_expression_read(expression):
    old = _OLD.match(expression)
    new = _threshold_parts(expression)
    assert (old is None) == (new is None), expression
    if old is not None:
        assert new == {k: old[k] for k in ("metric", "stat", "kp", "op", "value", "unit")}


def test_a_hostile_key_is_cut_short_in_the_sentence(tmp_path):
    """Found by benchmarks/fuzz.py: an unknown key of 3,000 characters was echoed whole."""
    path = tmp_path / "slo.toml"
    path.write_text('["good' + "[" * 3000 + '"]\nx = 1\n')
    with pytest.raises(ConfigError, match="unknown key") as caught:
        load_slo_file(path)
    assert len(str(caught.value)) < 400
